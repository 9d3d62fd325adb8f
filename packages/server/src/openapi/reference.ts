import { serverVersion } from '../version.js';
import { adminOperations } from './admin-operations.js';
import { openApiDocument } from './document.js';
import { allOperations } from './operations.js';

/**
 * The document the reference page (docs/api-reference.md) is rendered from: every production route (the admin
 * API included; the admin console's page, off by default, not), no server URL (a deployment's document names
 * its `publicUrl`).
 */
export function referenceDocument(): Record<string, unknown> {
  return openApiDocument([...allOperations({ devPages: false }), ...adminOperations()], { version: serverVersion() });
}
