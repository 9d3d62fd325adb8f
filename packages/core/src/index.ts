export { GatehouseError, ERROR_CODES, isGatehouseError, type ErrorCode } from './errors.js';
export { deserialize, serialize, ObjectId, EJSONError } from './ejson.js';
export { utf8, toHex, toBase64Url, fromBase64Url } from './encoding.js';
export { randomBytes, randomSecret, objectId, isObjectIdHex, NO_DEVICE_ID, sha256, timingSafeEqual } from './random.js';
export { parseDuration, type DurationText } from './duration.js';
export type * from './types.js';
