import { ObjectId } from '@gatehouse-auth/core';
import { SDK_VERSION } from './version.js';

/** The local app's name and version, sent to the server at login (realm-web's `AppConfiguration.app`). */
export interface LocalAppConfiguration {
  /** Your app's name or bundle id — not the Gatehouse app id. */
  name?: string;
  version?: string;
}

type Env = {
  process?: { versions?: { node?: string } };
  navigator?: { userAgent?: string; product?: string };
  document?: unknown;
};

const BROWSERS: [string, RegExp][] = [
  ['edge-chromium', /Edg\/([\d.]+)/],
  ['firefox', /Firefox\/([\d.]+)/],
  ['chrome', /Chrome\/([\d.]+)/],
  ['safari', /Version\/([\d.]+).*Safari/],
];

/** `[platform, platformVersion]` as realm-web reports them: `node`, a browser's name, or `web`. */
function platform(): [string, string] {
  const env = globalThis as Env;
  const node = env.process?.versions?.node;
  if (node && !env.document) return ['node', node];
  if (env.navigator?.product === 'ReactNative') return ['react-native', '0.0.0'];
  const agent = env.navigator?.userAgent ?? '';
  for (const [name, pattern] of BROWSERS) {
    const version = pattern.exec(agent)?.[1];
    if (version) return [name, version];
  }
  return ['web', '0.0.0'];
}

/**
 * `options.device` of a login request, in realm-web's key order: the device id (an ObjectId, so
 * it goes out as `{"$oid": …}`) only once a login returned one.
 */
export function deviceInformation(local: LocalAppConfiguration | undefined, deviceId: string | null) {
  const [name, version] = platform();
  return {
    sdkVersion: SDK_VERSION,
    platform: name,
    platformVersion: version,
    appId: local?.name,
    appVersion: local?.version,
    deviceId: deviceId ? new ObjectId(deviceId) : undefined,
  };
}
