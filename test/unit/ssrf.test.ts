import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createOutboundHttp } from '../../activities/outbound-http';
import { addressPolicy, checkUrl, classifyAddress, ForbiddenTargetError, guardedLookup, parseIPv6, Resolver } from '../../activities/ssrf';
import { rejection } from '../support/expectations';

describe('classifying addresses', () => {
  const cases: [string, string | undefined][] = [
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'shared'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['198.51.100.7', 'reserved'],
    ['8.8.8.8', undefined],
    ['172.32.0.1', undefined],
    ['93.184.216.34', undefined],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::', 'unspecified'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:8.8.8.8', undefined],
    ['::127.0.0.1', 'reserved'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['64:ff9b::8.8.8.8', undefined],
    ['2002:7f00:1::', 'loopback'],
    ['2002:a9fe:a9fe::1', 'link-local'],
    ['fc00::1', 'private'],
    ['fd00:ec2::254', 'private'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fec0::1', 'private'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['2001:4860:4860::8888', undefined],
    ['2606:4700:4700::1111', undefined],
  ];
  for (const [address, expected] of cases) {
    test(`${address} → ${expected ?? 'public'}`, () => expect(classifyAddress(address)).toBe(expected));
  }

  test('IPv6 parsing expands :: and embedded IPv4', () => {
    expect(parseIPv6('::ffff:1.2.3.4')).toStrictEqual([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
    expect(parseIPv6('2001:db8::1')).toStrictEqual([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]);
    expect(parseIPv6('1:2:3:4:5:6:7:8')).toStrictEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  test('allowPrivateNetwork lets everything through', () => {
    expect(addressPolicy(true)('127.0.0.1')).toBe(undefined);
    expect(addressPolicy(false)('127.0.0.1')).toBe('loopback');
  });
});

describe('checking URLs before connecting', () => {
  const strict = addressPolicy(false);
  for (const url of ['http://127.0.0.1:8080/x', 'http://169.254.169.254/latest/meta-data/', 'http://[::1]:9000/', 'http://[::ffff:127.0.0.1]/', 'http://2130706433/', 'http://0x7f.1/', 'http://127.1/']) {
    test(`${url} is refused`, () => expect(() => checkUrl(new URL(url), strict)).toThrow(ForbiddenTargetError));
  }
  test('non-http schemes are refused', () => {
    expect(() => checkUrl(new URL('file:///etc/passwd'), strict)).toThrow(/only http and https/);
    expect(() => checkUrl(new URL('ftp://example.com/'), strict)).toThrow(ForbiddenTargetError);
  });
  test('a public literal and any host name pass (names are checked at connection time)', () => {
    checkUrl(new URL('https://8.8.8.8/'), strict);
    checkUrl(new URL('https://internal.example/'), strict);
  });
});

describe('the guarded lookup checks every resolved address', () => {
  const hosts: Record<string, { address: string; family: number }[]> = {
    'internal.test': [{ address: '10.0.0.7', family: 4 }],
    'public.test': [{ address: '93.184.216.34', family: 4 }, { address: '2606:2800:220:1::1', family: 6 }],
    'mixed.test': [{ address: '93.184.216.34', family: 4 }, { address: '127.0.0.1', family: 4 }],
    'v6loop.test': [{ address: '::1', family: 6 }],
  };
  const resolver: Resolver = async (hostname) => {
    const found = hosts[hostname];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return found;
  };
  const lookup = (hostname: string, options: { family?: number; all?: boolean }) =>
    new Promise<unknown>((resolve, reject) =>
      guardedLookup(addressPolicy(false), resolver)(hostname, options, (error, address, family) => (error ? reject(error) : resolve({ address, family }))),
    );

  test('a name resolving to 10.x is refused', async () => {
    const error = await rejection(lookup('internal.test', { all: true }));
    expect(error).toBeInstanceOf(ForbiddenTargetError);
    expect(error).toMatchObject({
      address: '10.0.0.7',
      message: expect.stringMatching(/internal\.test \(10\.0\.0\.7\): private/),
    });
  });
  test('one bad address among good ones is enough to refuse', async () => {
    await expect(lookup('mixed.test', { all: true })).rejects.toThrow(ForbiddenTargetError);
    await expect(lookup('v6loop.test', {})).rejects.toThrow(ForbiddenTargetError);
  });
  test('public names resolve, honouring family and all', async () => {
    expect(await lookup('public.test', { all: true })).toStrictEqual({ address: hosts['public.test'], family: undefined });
    expect(await lookup('public.test', { family: 6 })).toStrictEqual({ address: '2606:2800:220:1::1', family: 6 });
  });
  test('resolution errors pass through', async () => {
    await expect(lookup('nowhere.test', {})).rejects.toThrow(/ENOTFOUND/);
  });
});

describe('outbound HTTP re-checks every redirect hop (real sockets)', () => {
  let server: Server;
  let other: Server;
  let base = '';
  let otherBase = '';
  const seen: IncomingMessage[] = [];
  const routes: Record<string, (response: ServerResponse) => void> = {};

  // 127.0.0.1 stands in for a public address here; everything else follows the real rules, and
  // `internal.test` resolves to 10.0.0.7 (so its hop fails at connection time, after DNS).
  const policy = () => (address: string) => (address === '127.0.0.1' ? undefined : addressPolicy(false)(address));
  const resolve: Resolver = async (hostname) =>
    hostname === 'internal.test' ? [{ address: '10.0.0.7', family: 4 }] : hostname === 'public.test' ? [{ address: '127.0.0.1', family: 4 }] : [];
  const outbound = createOutboundHttp({ deploymentAllowsPrivateNetwork: false, policy, resolve });
  const send = (path: string, extra: Partial<Parameters<typeof outbound.send>[0]> = {}) =>
    outbound.send({ url: new URL(path, base), method: 'GET', headers: { authorization: 'Bearer s3cret', 'x-api-key': 'k' }, signal: AbortSignal.timeout(5000), allowPrivateNetwork: false, ...extra });

  beforeAll(async () => {
    const listen = async (handler: (request: IncomingMessage, response: ServerResponse) => void) => {
      const created = createServer(handler);
      await new Promise<void>((resolve) => created.listen(0, '127.0.0.1', resolve));
      return created;
    };
    server = await listen((request, response) => {
      seen.push(request);
      request.resume();
      const route = routes[request.url ?? ''];
      if (route) route(response);
      else response.writeHead(200, { 'content-type': 'text/plain' }).end(`ok ${request.method}`);
    });
    other = await listen((request, response) => {
      seen.push(request);
      request.resume();
      response.writeHead(200).end('other');
    });
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    otherBase = `http://127.0.0.1:${(other.address() as { port: number }).port}`;
    const redirect = (location: string, status = 302) => (response: ServerResponse) => response.writeHead(status, { location }).end();
    routes['/to-metadata'] = redirect('http://169.254.169.254/latest/meta-data/');
    routes['/to-v6-loopback'] = redirect(`http://[::1]:${(server.address() as { port: number }).port}/`);
    routes['/to-internal-name'] = redirect(`http://internal.test:${(server.address() as { port: number }).port}/`);
    routes['/to-file'] = redirect('file:///etc/passwd');
    routes['/chain'] = redirect('/to-metadata', 307);
    routes['/to-public-name'] = redirect(`http://public.test:${(server.address() as { port: number }).port}/landed`);
    routes['/see-other'] = redirect('/landed', 303);
    routes['/cross-origin'] = redirect(`${otherBase}/x`, 307);
    routes['/loop'] = redirect('/loop');
    routes['/hang'] = () => undefined;
  });
  afterAll(async () => {
    await outbound.close();
    server.closeAllConnections();
    other.closeAllConnections();
    await Promise.all([new Promise((r) => server.close(r)), new Promise((r) => other.close(r))]);
  });

  for (const [path, pattern] of [
    ['/to-metadata', /169\.254\.169\.254: link-local/],
    ['/to-v6-loopback', /::1: loopback/],
    ['/to-internal-name', /internal\.test \(10\.0\.0\.7\): private/],
    ['/to-file', /only http and https/],
    ['/chain', /link-local/],
  ] as const) {
    test(`a redirect ${path} is refused`, async () => {
      const error = await rejection(send(path));
      expect(error).toBeInstanceOf(ForbiddenTargetError);
      expect(error).toMatchObject({ message: expect.stringMatching(pattern) });
    });
  }

  test('the first hop is checked too', async () => {
    await expect(send('http://169.254.169.254/')).rejects.toThrow(ForbiddenTargetError);
    await expect(send('http://internal.test/')).rejects.toThrow(ForbiddenTargetError);
  });

  test('allowed redirects are followed; 303 continues as GET without the body', async () => {
    const landed = await send('/to-public-name');
    expect(landed.status).toBe(200);
    const seeOther = await send('/see-other', { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } });
    expect(await seeOther.text()).toBe('ok GET');
  });

  test('credentials are not carried to another origin', async () => {
    seen.length = 0;
    const response = await send('/cross-origin', { credentialHeaders: ['x-api-key'] });
    expect(await response.text()).toBe('other');
    const last = seen.at(-1)!;
    expect(last.headers.authorization).toBe(undefined);
    expect(last.headers['x-api-key']).toBe(undefined);
    expect(seen.at(-2)!.headers.authorization).toBe('Bearer s3cret');
  });

  test('redirects are bounded: the last 3xx is the response', async () => {
    const response = await send('/loop');
    expect(response.status).toBe(302);
  });

  test('the abort signal ends a call that hangs (attempt timeout, cancellation)', async () => {
    const started = Date.now();
    await expect(send('/hang', { signal: AbortSignal.timeout(300) })).rejects.toMatchObject({ name: expect.stringMatching(/^(TimeoutError|AbortError)$/) });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  test('a deployment that allows private networks lets a consenting connector through', async () => {
    const open = createOutboundHttp({ deploymentAllowsPrivateNetwork: true });
    try {
      const response = await open.send({ url: new URL('/x', base), method: 'GET', headers: {}, signal: AbortSignal.timeout(5000), allowPrivateNetwork: true });
      expect(response.status).toBe(200);
      await expect(open.send({ url: new URL('/x', base), method: 'GET', headers: {}, signal: AbortSignal.timeout(5000), allowPrivateNetwork: false })).rejects.toThrow(/127\.0\.0\.1: loopback/);
    } finally {
      await open.close();
    }
  });
});
