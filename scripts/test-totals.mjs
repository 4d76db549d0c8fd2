// The test command's last line, over every jest results file given (one per lane):
// "N passed, N failed, N skipped". A suite that could not run counts as failed.
import { existsSync, readFileSync } from 'node:fs';

const files = process.argv.slice(2).filter((file) => existsSync(file));
if (files.length === 0) {
  console.log('jest wrote no results');
  process.exit(1);
}
const totals = { passed: 0, failed: 0, skipped: 0 };
for (const file of files) {
  const results = JSON.parse(readFileSync(file, 'utf8'));
  totals.passed += results.numPassedTests;
  totals.failed += results.numFailedTests + results.numRuntimeErrorTestSuites;
  totals.skipped += results.numPendingTests + results.numTodoTests;
}
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
