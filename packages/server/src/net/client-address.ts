import { BlockList, isIP } from 'node:net';

/**
 * Which proxies stand between clients and Gatehouse (the `trustProxy` setting):
 * - `false`: none — the socket's peer is the client; `X-Forwarded-For` is ignored.
 * - `true` or `1`: one proxy you run (a load balancer, a TLS terminator) — the client is the address that proxy
 *   saw, the rightmost `X-Forwarded-For` entry.
 * - `n`: a chain of `n` proxies — the entry `n` places from the right.
 * - a list of addresses and CIDR ranges (`["10.0.0.0/8", "fd00::/8"]`): walking from the socket's peer leftwards
 *   through `X-Forwarded-For`, the first address that is not a trusted proxy is the client; a request whose
 *   socket peer is not trusted is taken at its socket address.
 *
 * Never the leftmost entry: a client writes that one itself, so trusting it would let anyone choose the
 * address every rate limit, audit record and hook sees.
 */
export type TrustProxy = boolean | number | readonly string[];

/** The transport's facts about one request or connection, before the proxy rule is applied. */
export interface TransportFacts {
  /** The socket's peer address (`null` when the transport has none, e.g. an in-process request). */
  socketAddress: string | null;
  /** The raw `X-Forwarded-For` header(s), comma-joined, or `null`. */
  forwardedFor: string | null;
}

/**
 * The one rule for "who is the client", for every front (HTTP, DDP, SockJS). Returns an IP address without
 * port or brackets, or `null` when nothing trustworthy is known.
 *
 * @example
 * ```ts
 * const resolve = clientAddressResolver(1);
 * resolve({ socketAddress: '10.0.0.2', forwardedFor: '6.6.6.6, 203.0.113.7' }); // '203.0.113.7'
 * ```
 */
export function clientAddressResolver(trust: TrustProxy): (facts: TransportFacts) => string | null {
  if (trust === false || trust === 0) return ({ socketAddress }) => cleanAddress(socketAddress);
  if (typeof trust === 'number' || trust === true) {
    const hops = trust === true ? 1 : trust;
    return ({ socketAddress, forwardedFor }) => {
      const chain = forwardedEntries(forwardedFor);
      // Fewer entries than proxies: the request did not come through the whole chain; the socket peer is all we know.
      if (chain.length < hops) return cleanAddress(socketAddress);
      return cleanAddress(chain[chain.length - hops] ?? null) ?? cleanAddress(socketAddress);
    };
  }
  const trusted = new BlockList();
  for (const entry of trust) {
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) trusted.addAddress(address, family);
    else trusted.addSubnet(address, Number(prefix), family);
  }
  const isTrusted = (address: string) => trusted.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
  return ({ socketAddress, forwardedFor }) => {
    let current = cleanAddress(socketAddress);
    const chain = forwardedEntries(forwardedFor);
    while (current !== null && isTrusted(current)) {
      const next = chain.pop();
      if (next === undefined) return current;
      const address = cleanAddress(next);
      if (address === null) return current;
      current = address;
    }
    return current;
  };
}

/** Checks a `trustProxy` list entry (for the configuration schema): an IP address or a CIDR range. */
export function isAddressOrRange(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 6 ? 128 : 32);
}

function forwardedEntries(header: string | null): string[] {
  if (!header) return [];
  return header
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

/**
 * An address as written by a socket or a proxy, reduced to the bare IP: `::ffff:1.2.3.4` stays as Node gives
 * it (rate-limit keys fold it), `[2001:db8::1]:443` and `1.2.3.4:5678` lose the port. Anything that is not an
 * IP address is `null`: a forged header cannot smuggle text into keys and logs.
 */
function cleanAddress(raw: string | null): string | null {
  if (!raw) return null;
  let text = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed) text = bracketed[1] as string;
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(text)) text = text.slice(0, text.lastIndexOf(':'));
  return isIP(text) === 0 ? null : text;
}
