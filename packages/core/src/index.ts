export { type DurationText, parseDuration } from './duration.js';
export { deserialize, EJSONError, ObjectId, serialize } from './ejson.js';
export { fromBase64Url, toBase64Url, toHex, utf8 } from './encoding.js';
export { ERROR_CODES, type ErrorCode, GatehouseError, isGatehouseError } from './errors.js';
export { isObjectIdHex, NO_DEVICE_ID, objectId, randomBytes, randomSecret, sha256, timingSafeEqual } from './random.js';
export type * from './types.js';
export {
  MAX_USERNAME_LENGTH,
  type PreparedUsername,
  prepareUsername,
  type UsernameProblem,
  usernameKey,
} from './username.js';
