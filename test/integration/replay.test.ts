import { expect, test } from '@jest/globals';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HISTORY_FIXTURES, replay } from '../support/histories';

// Histories recorded from earlier builds: a workflow change that breaks determinism fails here.
test('committed workflow histories replay against the current workflow code', async () => {
  const files = (await readdir(HISTORY_FIXTURES)).filter((file) => file.endsWith('.json'));
  // The fixtures cover success, retry-then-success, failure, waiting, a lost attempt, cancellation and timing out.
  expect(files.length).toBeGreaterThanOrEqual(7);
  for (const file of files) {
    const history = historyFromJSON(JSON.parse(await readFile(join(HISTORY_FIXTURES, file), 'utf8')));
    await replay(`replay-${file}`, history);
  }
});
