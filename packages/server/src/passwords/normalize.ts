/**
 * The one transformation a password goes through before it is checked, hashed or verified: Unicode NFKC
 * normalisation (NIST SP 800-63B), so the same password typed on different keyboards or input methods
 * (composed `é` or `e` + combining accent, full-width `Ａ`) gives the same hash.
 *
 * Nothing else changes: no trimming, no case folding, no truncation (ASVS 6.2.8, verify "exactly as received").
 *
 * @example
 * ```ts
 * normalizePassword('Cafe\u0301'); // 'Café' (U+00E9)
 * normalizePassword('ｐａｓｓ'); // 'pass'
 * normalizePassword(' Secret '); // ' Secret ' (unchanged)
 * ```
 */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}
