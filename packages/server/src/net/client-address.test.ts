import { describe, expect, it } from 'vitest';
import { clientAddressResolver, isAddressOrRange } from './client-address.js';

describe('clientAddress: the one rule for who the client is', () => {
  const facts = (socketAddress: string | null, forwardedFor: string | null) => ({ socketAddress, forwardedFor });

  it('without a trusted proxy, the socket peer; X-Forwarded-For is ignored', () => {
    const resolve = clientAddressResolver(false);
    expect(resolve(facts('203.0.113.5', '1.2.3.4'))).toBe('203.0.113.5');
    expect(resolve(facts(null, '1.2.3.4'))).toBeNull();
  });

  it('behind one proxy, the rightmost entry — never the leftmost, which the client writes', () => {
    const resolve = clientAddressResolver(true);
    expect(resolve(facts('10.0.0.2', '6.6.6.6, 203.0.113.7'))).toBe('203.0.113.7');
    expect(resolve(facts('10.0.0.2', '203.0.113.7'))).toBe('203.0.113.7');
    // No header: the request did not come through the proxy; the peer is all there is.
    expect(resolve(facts('10.0.0.2', null))).toBe('10.0.0.2');
    // Garbage a client put in the header never becomes a key or a log field.
    expect(resolve(facts('10.0.0.2', 'evil\u0000, <script>'))).toBe('10.0.0.2');
  });

  it('behind n proxies, the entry n from the right; ports and brackets come off', () => {
    const resolve = clientAddressResolver(2);
    expect(resolve(facts('10.0.0.3', '6.6.6.6, 203.0.113.9:4431, 10.0.0.2'))).toBe('203.0.113.9');
    expect(resolve(facts('10.0.0.3', '[2001:db8::1]:443, 10.0.0.2'))).toBe('2001:db8::1');
    expect(resolve(facts('10.0.0.3', '10.0.0.2'))).toBe('10.0.0.3');
  });

  it('with a list of proxies, the first untrusted address walking left from the peer', () => {
    const resolve = clientAddressResolver(['10.0.0.0/8', 'fd00::/8', '192.0.2.1']);
    expect(resolve(facts('10.1.1.1', '6.6.6.6, 203.0.113.4, 192.0.2.1, 10.2.2.2'))).toBe('203.0.113.4');
    expect(resolve(facts('fd00::5', '2001:db8::9'))).toBe('2001:db8::9');
    // A peer that is not a trusted proxy is the client, whatever it claims.
    expect(resolve(facts('198.51.100.1', '6.6.6.6'))).toBe('198.51.100.1');
    // Only proxies all the way: the leftmost proxy is the best there is.
    expect(resolve(facts('10.1.1.1', '10.2.2.2'))).toBe('10.2.2.2');
  });

  it('the configuration accepts addresses and CIDR ranges only', () => {
    for (const ok of ['10.0.0.0/8', '192.0.2.1', '::1', 'fd00::/8', '0.0.0.0/0'])
      expect(isAddressOrRange(ok), ok).toBe(true);
    for (const bad of ['10.0.0.0/33', 'fd00::/129', 'example.com', '10.0.0.0/8/1', '10.0.0/8', ''])
      expect(isAddressOrRange(bad), bad).toBe(false);
  });
});
