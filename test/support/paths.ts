import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository root, whether this runs from the sources (jest) or from the build (the bench imports it). */
function repositoryRoot(from: string): string {
  let folder = from;
  while (!existsSync(join(folder, 'package.json'))) {
    if (dirname(folder) === folder) throw new Error(`no package.json above ${from}`);
    folder = dirname(folder);
  }
  return folder;
}

export const ROOT = repositoryRoot(__dirname);
/** The build: the platform's processes run from here, as in production. */
export const DIST = join(ROOT, 'dist');
