/**
 * The error to throw when importing a database driver failed: a clear "install it" message if the package is
 * missing, else the import's own error (a broken native build, say) unchanged.
 */
export function missingDriverError(pkg: string, database: string, error: unknown): unknown {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  const missing =
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    error instanceof Error &&
    error.message.includes(`'${pkg}'`);
  if (!missing) return error;
  return new Error(`storage: ${database} needs the optional dependency "${pkg}"; install it with: npm install ${pkg}`, {
    cause: error,
  });
}
