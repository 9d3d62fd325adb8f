/** This SDK's version, sent as `options.device.sdkVersion` at login. */
export const SDK_VERSION = '0.1.0';
