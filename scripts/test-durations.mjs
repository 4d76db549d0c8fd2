// Writes test/durations.json (seconds per test file) from the last whole run's jest results, for
// test/support/lanes.js to balance the two lanes of `npm test`. Run after `npm test`.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const data = join(root, '.data');
const files = readdirSync(data).filter((name) => /^jest-results.*\.json$/.test(name));
if (files.length === 0) throw new Error('no .data/jest-results*.json: run `npm test` first');
const seconds = {};
for (const name of files) {
  for (const result of JSON.parse(readFileSync(join(data, name), 'utf8')).testResults) {
    // By the path inside the repository (the run may have been in another clone).
    const file = result.name.match(/test\/(unit|integration)\/[^/]+$/)?.[0];
    if (file) seconds[file] = Math.round((result.endTime - result.startTime) / 100) / 10;
  }
}
const sorted = Object.fromEntries(Object.entries(seconds).sort(([a], [b]) => (a < b ? -1 : 1)));
writeFileSync(join(root, 'test', 'durations.json'), JSON.stringify(sorted, null, 2) + '\n');
console.log(`test/durations.json: ${Object.keys(sorted).length} files, ${Math.round(Object.values(sorted).reduce((sum, s) => sum + s, 0))} s in all`);
