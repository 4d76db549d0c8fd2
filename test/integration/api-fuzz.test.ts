import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SharedSecretAuth } from '../support/auth';
import { Downstream, json } from '../support/downstream';
import { ROOT } from '../support/paths';
import { TestPlatform } from '../support/platform';

/** The fixed seed of the test command; `npm run fuzz` runs longer with a new seed each time. */
const SEED = process.env.FUZZ_SEED ?? '20261203';
const MAX_EXAMPLES = process.env.FUZZ_MAX_EXAMPLES ?? '10';
const MAX_SECONDS = process.env.FUZZ_MAX_SECONDS ?? '60';
/** Every check, with the per-operation exceptions test/schemathesis.toml names (and says why). */
const CONFIG_FILE = join(ROOT, 'test', 'schemathesis.toml');

/** bootstrap.sh installs schemathesis (pinned) into .data/tools/schemathesis-<version>. */
function schemathesis(): string {
  const tools = join(ROOT, '.data', 'tools');
  const home = existsSync(tools) ? readdirSync(tools).find((name) => name.startsWith('schemathesis-')) : undefined;
  const st = home && join(tools, home, 'bin', 'st');
  if (!st || !existsSync(st)) throw new Error('schemathesis is not installed: run scripts/bootstrap.sh');
  return st;
}

function run(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: { ...process.env, NO_COLOR: '1' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** A property-based fuzzer driven by each plane's own /docs-json, with a valid token (SPEC §4). */
describe('the API against schemathesis', () => {
  const downstream = new Downstream();
  const auth = new SharedSecretAuth();
  const platform = new TestPlatform({}, { auth });
  let token = '';

  beforeAll(async () => {
    downstream.on('/ok', (_call, response) => json(response, 200, { ok: true }));
    await downstream.start();
    await platform.start({ workers: 1 });
    await platform.createConnector(downstream.url, { ok: { method: 'GET', path: '/ok' } });
    token = (await auth.client(platform, { tenant: 'fuzz', sub: 'fuzzer', roles: ['admin', 'operator', 'executor'] })).token;
  }, 120_000);
  afterAll(async () => {
    await platform.stop();
    await downstream.stop();
  });

  for (const plane of ['control', 'exec'] as const) {
    test(`${plane} plane: no failures of any check run`, async () => {
      const base = plane === 'control' ? platform.control : platform.exec;
      const args = ['--config-file', CONFIG_FILE, 'run', `${base}/docs-json`, '--max-examples', MAX_EXAMPLES, '--seed', SEED, '--max-time', MAX_SECONDS,
        '--workers', '1', '--generation-database', 'none', '--header', `Authorization: Bearer ${token}`, '--no-color', '--request-timeout', '10'];
      const { code, output } = await run(schemathesis(), args);
      // The summary (operations and test cases, or each failure with the curl that reproduces it).
      process.stdout.write(`\nschemathesis, ${plane} plane (seed ${SEED}):\n${code === 0 ? output.slice(output.indexOf('SUMMARY') - 40) : output}\n`);
      expect([plane, code, output.match(/Failures:[\s\S]*?\n\n/)?.[0] ?? 'no failures']).toStrictEqual([plane, 0, 'no failures']);
    }, (Number(MAX_SECONDS) + 120) * 1000);
  }
});
