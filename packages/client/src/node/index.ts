/**
 * `@gatehouse-auth/client/node`: the parts of the SDK that only work in Node — kept out of the main entry so a
 * browser bundle never contains a Node built-in.
 */
export { fileStorage } from './file-storage.js';
