import { afterAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORE_RATIOS, Results, SideResult } from '../../bench/report';
import { DIST, ROOT } from '../support/paths';
import { serviceEnv } from '../support/services';
import { defined } from '../support/expectations';

const RESULTS_DIR = join(ROOT, 'bench', 'results');

function listResults(): string[] {
  return existsSync(RESULTS_DIR) ? readdirSync(RESULTS_DIR).sort() : [];
}

/** Runs the bench CLI as `npm run bench` would, against the test services; resolves with its exit code and output. */
function runBench(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(DIST, 'bench', 'run.js'), ...args], {
      env: { ...process.env, ...serviceEnv() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

function assertSide(result: SideResult | undefined, name: string) {
  const side = defined(result, `the ${name} side`);
  expect(side.steps.length).toBeGreaterThanOrEqual(1);
  for (const step of [...side.steps, side.paced]) {
    expect(step.accepted).toBeGreaterThan(0);
    expect(step.succeeded).toBe(step.accepted);
    expect(Number.isFinite(step.throughput) && step.throughput > 0).toBeTruthy();
    for (const metric of [step.acceptLatencyMs, step.e2eMs]) expect(Number.isFinite(metric.p99) && metric.p99 > 0).toBeTruthy();
  }
  expect(side.rssPeakMiB.front > 0 && side.rssPeakMiB.worker > 0).toBeTruthy();
  expect((side.cpuPer1kJobsS.front ?? 0) > 0 && (side.cpuPer1kJobsS.worker ?? 0) > 0).toBeTruthy();
}

describe('npm run bench -- --quick (the harness itself, so it cannot rot)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-quick-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('measures the baseline and the platform and writes a results JSON with finite ratios', async () => {
    const out = join(dir, 'results.json');
    const before = listResults();
    const { code, output } = await runBench(['--quick', '--use-running', '--out', out, '--max-minutes', '3']);
    expect({ code, output: code === 0 ? '' : `the bench failed:\n${output.slice(-4000)}` }).toStrictEqual({ code: 0, output: '' });
    expect(listResults()).toStrictEqual(before); // the quick run leaves bench/results/ alone
    expect(output).toMatch(/platform\/baseline/); // the table is printed

    const results = JSON.parse(readFileSync(out, 'utf8')) as Results;
    expect(results.mode).toBe('compare');
    expect(results.quick).toBe(true);
    expect(results.comparison).toStrictEqual({ numerator: 'platform', denominator: 'baseline' });
    expect((results.machine.cpus as number) > 0 && typeof results.versions.node === 'string' && results.versions.temporalSdk).toBeTruthy();
    assertSide(results.sides.baseline, 'baseline');
    assertSide(results.sides.platform, 'platform');
    for (const key of CORE_RATIOS) {
      const value = results.ratios[key];
      expect(typeof value === 'number' && Number.isFinite(value) && value > 0).toBeTruthy();
    }
  }, 240_000);
});
