import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/** The Temporal CLI that scripts/bootstrap.sh installs (go install): on PATH, or in Go's bin folder. */
export function temporalCli(): string {
  const folders = [...(process.env.PATH ?? '').split(delimiter), join(process.env.GOPATH ?? join(homedir(), 'go'), 'bin')];
  for (const folder of folders) {
    const candidate = join(folder, 'temporal');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error('The Temporal CLI is not installed: run scripts/bootstrap.sh (npm test does).');
}
