/** This SDK's version, sent as `options.device.sdkVersion` at login (spec §5.1). */
export const SDK_VERSION = '0.1.0';
