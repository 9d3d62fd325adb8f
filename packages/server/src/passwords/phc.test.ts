import { describe, expect, it } from 'vitest';
import { parseArgon2Phc } from './phc.js';

const HASH = 'c29tZXNhbHRzb21lc2FsdA$RdescudvJCsgt3ub+b+dWRWJTmaaJObGxxxxxxxxxxw';

describe('parseArgon2Phc', () => {
  it('reads algorithm, version and cost', () => {
    expect(parseArgon2Phc(`$argon2id$v=19$m=19456,t=2,p=1$${HASH}`)).toEqual({
      algorithm: 'argon2id',
      version: 19,
      memoryCost: 19456,
      timeCost: 2,
      parallelism: 1,
    });
    expect(parseArgon2Phc(`$argon2i$v=16$m=4096,t=3,p=2$${HASH}`)).toMatchObject({ algorithm: 'argon2i', version: 16 });
    // Argon2 1.0 hashes have no v= field.
    expect(parseArgon2Phc(`$argon2d$m=4096,t=3,p=1$${HASH}`)).toMatchObject({ algorithm: 'argon2d', version: 16 });
  });

  it('returns null for anything else', () => {
    for (const phc of [
      undefined,
      42,
      '',
      'hunter2',
      '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy',
      '$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E',
      `$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ`,
      `$argon2id$v=20$m=19456,t=2,p=1$${HASH}`,
      `$argon2id$v=19$m=19456,t=2$${HASH}`,
      `$argon2id$v=19$m=19456,t=2,p=1,p=1$${HASH}`,
      `$argon2id$v=19$m=19456,t=2,p=1,x=1$${HASH}`,
      `$argon2id$v=19$m=019456,t=2,p=1$${HASH}`,
      `$argon2id$v=19$m=-1,t=2,p=1$${HASH}`,
      `$argon2id$v=19$m=19456,t=0,p=1$${HASH}`,
      `$argon2id$v=19$m=8,t=1,p=2$${HASH}`,
      `$argon2id$v=19$m=99999999,t=2,p=1$${HASH}`,
      `$argon2id$v=19$m=19456,t=1000,p=1$${HASH}`,
      `$argon2id$v=19$m=19456,t=2,p=1$sa!t$hash`,
      `$argon2id$v=19$m=19456,t=2,p=1$${HASH}$extra`,
      `$argon2id$v=19$m=19456,t=2,p=1$${'A'.repeat(600)}$AAAA`,
      `x$argon2id$v=19$m=19456,t=2,p=1$${HASH}`,
    ]) {
      expect(parseArgon2Phc(phc), String(phc)).toBeNull();
    }
  });
});
