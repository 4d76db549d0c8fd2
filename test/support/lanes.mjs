// @ts-check
// `npm test` runs the suite in two lanes at once (`jest --shard=1/2` and `--shard=2/2`): most test
// files spend their time waiting on real timers, with the 2 cores idle. This sequencer decides the
// lanes: every unit file in lane 1 (it alone collects coverage, so the thresholds see every unit
// test), then the integration files, longest first, each into the lane that is shorter so far.
// Lengths come from test/durations.json (seconds per file, from a whole run: `npm run
// test:durations`); a file not listed there counts as DEFAULT_SECONDS.
import Sequencer from '@jest/test-sequencer';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const DEFAULT_SECONDS = 20;

/** @returns {Record<string, number>} */
function durations() {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'test', 'durations.json'), 'utf8'));
  } catch {
    return {};
  }
}

/**
 * @param {{ path: string }[]} tests
 * @param {number} laneCount
 * @returns {number[]} each test's lane, 1-based
 */
export function lanesOf(tests, laneCount) {
  const seconds = durations();
  const length = (/** @type {{ path: string }} */ test) => seconds[relative(ROOT, test.path)] ?? DEFAULT_SECONDS;
  const isUnit = (/** @type {{ path: string }} */ test) => relative(ROOT, test.path).startsWith(join('test', 'unit'));
  const totals = new Array(laneCount).fill(0);
  const lanes = new Array(tests.length).fill(1);
  for (const test of tests) if (isUnit(test)) totals[0] += length(test);
  const integration = tests.map((test, i) => ({ test, i })).filter(({ test }) => !isUnit(test));
  // Longest first; ties by path, so the lanes are the same on every machine.
  integration.sort((a, b) => length(b.test) - length(a.test) || (a.test.path < b.test.path ? -1 : 1));
  for (const { test, i } of integration) {
    const lane = totals.indexOf(Math.min(...totals));
    totals[lane] += length(test);
    lanes[i] = lane + 1;
  }
  return lanes;
}

export default class LaneSequencer extends Sequencer {
  /** @param {import('@jest/test-result').Test[]} tests @param {{ shardIndex: number, shardCount: number }} options */
  shard(tests, { shardIndex, shardCount }) {
    const lanes = lanesOf(tests, shardCount);
    return tests.filter((_test, i) => lanes[i] === shardIndex);
  }
}
