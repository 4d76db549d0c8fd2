import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEnvFile } from './env-file';
import { DIST, ROOT } from './paths';

/** Where `npm run services:up` keeps long-lived services for running one integration file by hand. */
export const DEV_SERVICES = join(ROOT, '.data', 'test-services');
/** Services this run started itself (stopped by global-teardown). */
export const OWN_SERVICES_VAR = 'ORCH_TEST_OWN_SERVICES';

/**
 * The integration project's shared services: those named in the environment (`npm test` starts them
 * in scripts/test.sh), else those `npm run services:up` started, else a set of its own for this run.
 */
export default async function globalSetup(): Promise<void> {
  if (!existsSync(join(DIST, 'src', 'main-api.js')) || !existsSync(join(DIST, 'workflow-bundle.js'))) {
    throw new Error('Integration tests run the built api and worker: run `npm run build` first.');
  }
  if (process.env.DATABASE_URL && process.env.REDIS_URL && process.env.TEMPORAL_ADDRESS) return;
  if (existsSync(join(DEV_SERVICES, 'services.env'))) {
    Object.assign(process.env, readEnvFile(join(DEV_SERVICES, 'services.env')));
    return;
  }
  const data = mkdtempSync(join(tmpdir(), 'orchestrator-jest-'));
  execFileSync('bash', [join(ROOT, 'scripts', 'services.sh'), 'start', data], { stdio: ['ignore', 'inherit', 'inherit'] });
  Object.assign(process.env, readEnvFile(join(data, 'services.env')));
  process.env[OWN_SERVICES_VAR] = data;
}
