/**
 * SSRF guard: which network addresses a connector may reach. Checked on the addresses a host name
 * resolves to (every one of them, at connection time, so DNS rebinding gains nothing), on literal IP
 * hosts, and again on every redirect hop (see outbound-http.ts).
 */
import { promises as dns } from 'node:dns';
import { isIP, isIPv4 } from 'node:net';

/** Why an address is not a public one; undefined for a public (globally routable) address. */
export type AddressClass = 'loopback' | 'private' | 'link-local' | 'shared' | 'unspecified' | 'multicast' | 'reserved';

/** A target refused by the guard. Never retryable: the same target will be refused again. */
export class ForbiddenTargetError extends Error {
  readonly code = 'ERR_ORCH_FORBIDDEN_TARGET';

  constructor(
    readonly host: string,
    readonly address: string | undefined,
    /** The address class (`loopback`, `private`, …) or another short reason. */
    readonly reason: string,
    message?: string,
  ) {
    super(
      message ??
        `Refused to connect to ${host}${address && address !== host ? ` (${address})` : ''}: ${reason} addresses are not allowed ` +
          'for this connector (allowPrivateNetwork, with ORCH_ALLOW_PRIVATE_NETWORK=true on the platform).',
    );
    this.name = 'ForbiddenTargetError';
  }
}

type Cidr4 = [number, number, AddressClass];

function ipv4ToInt(address: string): number {
  return address.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);
}

const CIDR4: Cidr4[] = (
  [
    ['0.0.0.0', 8, 'unspecified'],
    ['10.0.0.0', 8, 'private'],
    ['100.64.0.0', 10, 'shared'],
    ['127.0.0.0', 8, 'loopback'],
    ['169.254.0.0', 16, 'link-local'],
    ['172.16.0.0', 12, 'private'],
    ['192.0.0.0', 24, 'reserved'],
    ['192.0.2.0', 24, 'reserved'],
    ['192.88.99.0', 24, 'reserved'],
    ['192.168.0.0', 16, 'private'],
    ['198.18.0.0', 15, 'reserved'],
    ['198.51.100.0', 24, 'reserved'],
    ['203.0.113.0', 24, 'reserved'],
    ['224.0.0.0', 4, 'multicast'],
    ['240.0.0.0', 4, 'reserved'],
  ] as const
).map(([base, bits, kind]) => [ipv4ToInt(base), bits, kind]);

function classifyIPv4Int(value: number): AddressClass | undefined {
  for (const [base, bits, kind] of CIDR4) {
    const size = 2 ** (32 - bits);
    if (value >= base && value < base + size) return kind;
  }
  return undefined;
}

/** The eight 16-bit groups of an IPv6 address (zone id dropped, embedded dotted quad accepted). */
export function parseIPv6(address: string): number[] {
  let text = address.replace(/^\[|\]$/g, '').split('%')[0];
  const tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipv4ToInt(dotted[1]);
    tail.push(Math.floor(v4 / 65536), v4 % 65536);
    text = text.slice(0, -dotted[1].length);
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }
  const [head, rest] = text.split('::');
  const parse = (part: string | undefined) => (part ? part.split(':').filter((s) => s !== '').map((s) => parseInt(s, 16)) : []);
  const left = parse(head);
  const right = [...parse(rest), ...tail];
  const missing = 8 - left.length - right.length;
  if (rest === undefined && missing !== 0) throw new Error(`not an IPv6 address: ${address}`);
  return [...left, ...new Array<number>(Math.max(0, missing)).fill(0), ...right];
}

function classifyIPv6(address: string): AddressClass | undefined {
  const g = parseIPv6(address);
  const embedded = (hi: number, lo: number) => classifyIPv4Int(hi * 65536 + lo);
  const zeroUpTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (g.every((x) => x === 0)) return 'unspecified';
  if (zeroUpTo(7) && g[7] === 1) return 'loopback';
  // ::ffff:a.b.c.d (IPv4-mapped): the IPv4 address is what the socket reaches.
  if (zeroUpTo(5) && g[5] === 0xffff) return embedded(g[6], g[7]);
  // ::a.b.c.d (IPv4-compatible, deprecated) and ::ffff:0:a.b.c.d (IPv4-translated): never legitimate targets.
  if (zeroUpTo(6) || (zeroUpTo(4) && g[4] === 0xffff && g[5] === 0)) return 'reserved';
  // 64:ff9b::/96 (well-known NAT64 prefix) reaches the embedded IPv4 address; 64:ff9b:1::/48 is local-use.
  if (g[0] === 0x64 && g[1] === 0xff9b) {
    if (g[2] === 1) return 'private';
    return g.slice(2, 6).every((x) => x === 0) ? embedded(g[6], g[7]) : 'reserved';
  }
  // 2002::/16 (6to4) embeds an IPv4 address in bits 16..47.
  if (g[0] === 0x2002) return embedded(g[1], g[2]);
  if (g[0] === 0x2001 && (g[1] === 0 || g[1] === 0xdb8)) return 'reserved'; // Teredo, documentation
  if (g[0] === 0x100 && g[1] === 0 && g[2] === 0 && g[3] === 0) return 'reserved'; // discard prefix
  if ((g[0] & 0xfe00) === 0xfc00) return 'private'; // unique local fc00::/7 (cloud metadata fd00:ec2::254 too)
  if ((g[0] & 0xffc0) === 0xfe80) return 'link-local';
  if ((g[0] & 0xffc0) === 0xfec0) return 'private'; // site-local (deprecated)
  if ((g[0] & 0xff00) === 0xff00) return 'multicast';
  if ((g[0] & 0xe000) !== 0x2000) return 'reserved'; // outside 2000::/3 global unicast
  return undefined;
}

/** The class of a non-public address, or undefined when `address` is a public IP. Throws on a non-IP. */
export function classifyAddress(address: string): AddressClass | undefined {
  const bare = address.replace(/^\[|\]$/g, '');
  if (isIPv4(bare)) return classifyIPv4Int(ipv4ToInt(bare));
  if (isIP(bare.split('%')[0]) === 6) return classifyIPv6(bare);
  throw new Error(`not an IP address: ${address}`);
}

/** Decides whether an address may be reached; returns why not, or undefined when it may. */
export type AddressPolicy = (address: string) => string | undefined;

/** The default policy: only public addresses, unless private networks are allowed (then anything). */
export function addressPolicy(allowPrivateNetwork: boolean): AddressPolicy {
  return (address) => {
    if (allowPrivateNetwork) return undefined;
    return classifyAddress(address);
  };
}

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Resolves a host name to every address it has (the system resolver, /etc/hosts included). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = (hostname) => dns.lookup(hostname, { all: true });

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | ResolvedAddress[], family?: number) => void;

/**
 * A `lookup` for `net.connect`/`tls.connect` (and so for an undici Agent's `connect` options):
 * resolves the name, refuses the connection if *any* resolved address is forbidden, and otherwise
 * hands the socket only addresses that were checked. Literal IPs never reach a lookup; callers check
 * those themselves (`checkHost`).
 */
export function guardedLookup(policy: AddressPolicy, resolve: Resolver = systemResolver) {
  return (hostname: string, options: { family?: number | string; all?: boolean }, callback: LookupCallback): void => {
    resolve(hostname)
      .then((addresses) => {
        for (const { address } of addresses) {
          const reason = policy(address);
          if (reason) throw new ForbiddenTargetError(hostname, address, reason);
        }
        const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : Number(options.family ?? 0);
        const usable = family ? addresses.filter((a) => a.family === family) : addresses;
        if (usable.length === 0) {
          throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
        }
        if (options.all) callback(null, usable);
        else callback(null, usable[0].address, usable[0].family);
      })
      .catch((error: NodeJS.ErrnoException) => callback(error, ''));
  };
}

/**
 * Checks a URL before any connection is made: http(s) only, and a literal IP host must pass the
 * policy (the socket skips the lookup for those). Host names are checked by `guardedLookup`.
 */
export function checkUrl(url: URL, policy: AddressPolicy): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ForbiddenTargetError(url.host, undefined, 'scheme', `Refused to follow ${url.protocol} URL: connectors call only http and https URLs.`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host.split('%')[0])) {
    const reason = policy(host);
    if (reason) throw new ForbiddenTargetError(host, host, reason);
  }
}

/** The ForbiddenTargetError somewhere in an error's cause chain (fetch wraps connection errors). */
export function findForbiddenTarget(error: unknown): ForbiddenTargetError | undefined {
  for (let current = error, depth = 0; current && depth < 8; current = (current as { cause?: unknown }).cause, depth++) {
    if (current instanceof ForbiddenTargetError) return current;
  }
  return undefined;
}
