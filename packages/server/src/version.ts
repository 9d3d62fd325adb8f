import { readFileSync } from 'node:fs';

// Its own module, not part of metrics/: the routes and the OpenAPI page need the version, and importing it
// from metrics/ would load prom-client in every process, metrics on or off.

/** The version in the server package's package.json (`unknown` if it cannot be read). */
export function serverVersion(): string {
  try {
    // From `src/` and `dist/` alike, the package's package.json is one directory up.
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
