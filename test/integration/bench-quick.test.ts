import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CORE_RATIOS, Results, SideResult } from '../../bench/report';
import { serviceEnv } from '../support/services';

const DIST = join(__dirname, '..', '..');
const RESULTS_DIR = join(DIST, '..', 'bench', 'results');

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

function assertSide(side: SideResult | undefined, name: string) {
  assert.ok(side, `results have the ${name} side`);
  assert.ok(side.steps.length >= 1, `${name} ran at least one step`);
  for (const step of [...side.steps, side.paced]) {
    assert.ok(step.accepted > 0, `${name} ${step.kind} c=${step.concurrency} accepted jobs`);
    assert.equal(step.succeeded, step.accepted, `${name} ${step.kind} c=${step.concurrency}: every accepted job succeeded`);
    assert.ok(Number.isFinite(step.throughput) && step.throughput > 0, `${name} throughput is a positive number`);
    for (const metric of [step.acceptLatencyMs, step.e2eMs]) assert.ok(Number.isFinite(metric.p99) && metric.p99 > 0);
  }
  assert.ok(side.rssPeakMiB.front > 0 && side.rssPeakMiB.worker > 0, `${name} peak RSS measured`);
  assert.ok((side.cpuPer1kJobsS.front ?? 0) > 0 && (side.cpuPer1kJobsS.worker ?? 0) > 0, `${name} CPU measured`);
}

describe('npm run bench -- --quick (the harness itself, so it cannot rot)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-quick-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('measures the baseline and the platform and writes a results JSON with finite ratios', { timeout: 240_000 }, async () => {
    const out = join(dir, 'results.json');
    const before = listResults();
    const { code, output } = await runBench(['--quick', '--use-running', '--out', out, '--max-minutes', '3']);
    assert.equal(code, 0, `the bench failed:\n${output.slice(-4000)}`);
    assert.deepEqual(listResults(), before, 'the quick run leaves bench/results/ alone');
    assert.match(output, /platform\/baseline/, 'the table is printed');

    const results = JSON.parse(readFileSync(out, 'utf8')) as Results;
    assert.equal(results.mode, 'compare');
    assert.equal(results.quick, true);
    assert.deepEqual(results.comparison, { numerator: 'platform', denominator: 'baseline' });
    assert.ok((results.machine.cpus as number) > 0 && typeof results.versions.node === 'string' && results.versions.temporalSdk);
    assertSide(results.sides.baseline, 'baseline');
    assertSide(results.sides.platform, 'platform');
    for (const key of CORE_RATIOS) {
      const value = results.ratios[key];
      assert.ok(typeof value === 'number' && Number.isFinite(value) && value > 0, `ratio ${key} is finite and positive (got ${value})`);
    }
  });
});
