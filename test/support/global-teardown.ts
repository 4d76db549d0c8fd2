import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { OWN_SERVICES_VAR } from './global-setup';
import { ROOT } from './paths';

/** Stops the services global-setup started for this run (never those it found running). */
export default async function globalTeardown(): Promise<void> {
  const data = process.env[OWN_SERVICES_VAR];
  if (!data) return;
  execFileSync('bash', [join(ROOT, 'scripts', 'services.sh'), 'stop', data], { stdio: 'inherit' });
  rmSync(data, { recursive: true, force: true });
}
