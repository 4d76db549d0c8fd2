import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, screenshot, seriousAccessibilityViolations } from '../support/browser';
import { Downstream, json } from '../support/downstream';
import { OidcProvider } from '../support/oidc';
import { ROOT } from '../support/paths';
import { http, TestPlatform } from '../support/platform';
import { freePort } from '../support/processes';
import { payloadStoreEnv, uniqueName } from '../support/services';
import { consoleApiDocument } from '../../scripts/console-api-document';

// The operator console (SPEC §11) in Debian's Chromium through playwright-core, signed in through a
// real OIDC provider whose JWT access tokens the api verifies with ORCH_JWT_JWKS_URL, against the
// built api and worker on the shared test services. Every page is scanned with axe-core and saved
// as a screenshot in docs/console/ (the README's Console section shows them).

const TENANT = 'acme';
const CLIENT_ID = 'orchestrator-console';
// The provider issues one audience per token; both planes accept it.
const AUDIENCE = 'orchestrator-api';
const ACCOUNTS = {
  'ada-admin': { tenant: TENANT, roles: ['admin', 'operator', 'executor'] },
  'vic-viewer': { tenant: TENANT, roles: ['viewer'] },
  'eve-executor': { tenant: TENANT, roles: ['executor'] },
};
const SECRET_VALUE = 'token-from-the-console';

describe('operator console in a real browser', () => {
  const downstream = new Downstream();
  let oidc: OidcProvider;
  let platform: TestPlatform;
  let consoleUrl = '';
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  const contexts: BrowserContext[] = [];
  const violations: Record<string, unknown[]> = {};
  let signInShown = false;

  beforeAll(async () => {
    await downstream.start();
    const operatorPort = await freePort();
    consoleUrl = `http://127.0.0.1:${operatorPort}`;
    oidc = await new OidcProvider({ clientId: CLIENT_ID, redirectUri: `${consoleUrl}/callback`, audience: AUDIENCE, accounts: ACCOUNTS }).start();
    platform = await new TestPlatform({
      AUTH_MODE: 'jwt',
      ORCH_JWT_ISSUER: oidc.issuer,
      ORCH_JWT_AUDIENCE_CONTROL: AUDIENCE,
      ORCH_JWT_AUDIENCE_EXEC: AUDIENCE,
      ORCH_JWT_JWKS_URL: oidc.jwksUrl,
      ORCH_OIDC_ISSUER: oidc.issuer,
      ORCH_OIDC_CLIENT_ID: CLIENT_ID,
      ORCH_TEMPORAL_UI_URL: 'http://127.0.0.1:8233',
      OPERATOR_PORT: String(operatorPort),
      ORCH_SECRETS_KEY: Buffer.alloc(32, 9).toString('base64'),
      // A store, with results above 64 KiB offered as a download rather than shown inline.
      ...payloadStoreEnv(),
      PAYLOAD_STORE_THRESHOLD_BYTES: String(64 * 1024),
      PAYLOAD_STORE_INLINE_RESULT_MAX_BYTES: String(64 * 1024),
    }).start();
    ({ browser, close: closeBrowser } = await launchChromium());
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await closeBrowser?.();
    await platform?.stop();
    await oidc?.stop();
    await downstream.stop();
  });

  /** A fresh browser profile signed in as `login` through the provider's login form. */
  async function signIn(login: keyof typeof ACCOUNTS, colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      colorScheme,
      // No fades: axe scans a dialog as shown, not half-transparent halfway through its transition.
      reducedMotion: 'reduce',
    });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(consoleUrl);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    if (!signInShown) {
      signInShown = true;
      await scan(page, 'sign-in');
      await screenshot(page, 'sign-in');
    }
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${oidc.issuer}/**`);
    await page.locator('input[name=login]').fill(login);
    await page.locator('input[name=password]').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.waitForURL(`${consoleUrl}/**`);
    await page.getByText(`${login} · tenant ${TENANT}`).waitFor();
    return page;
  }

  /** The access token the console holds (oidc-client-ts keeps the user in sessionStorage). */
  async function tokenOf(page: Page): Promise<string> {
    return page.evaluate(() => {
      // In the page (the test's own tsconfig has no DOM types).
      const storage = (globalThis as unknown as { sessionStorage: Record<string, string> & { getItem(key: string): string | null } }).sessionStorage;
      const key = Object.keys(storage).find((name) => name.startsWith('oidc.user:'));
      return JSON.parse(storage.getItem(key ?? '') ?? '{}').access_token as string;
    });
  }

  /** Calls the api directly as the signed-in user of `page` (set-up and checks beside the UI). */
  async function api(page: Page, method: string, url: string, json?: unknown) {
    const reply = await http(method, url, { json, headers: { authorization: `Bearer ${await tokenOf(page)}` } });
    if (reply.status >= 300) throw new Error(`${method} ${url}: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body;
  }

  async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Visits a page of the console: waits for its heading, scans it, saves its screenshot. */
  async function visit(page: Page, path: string, heading: string | RegExp, shot?: string): Promise<void> {
    await page.goto(`${consoleUrl}${path}`);
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
    await scan(page, shot ?? path);
    if (shot) await screenshot(page, shot);
  }

  async function scan(page: Page, name: string): Promise<void> {
    await page.locator('.mantine-Loader-root').first().waitFor({ state: 'detached' }); // scan what a reader sees, not a spinner
    const found = await seriousAccessibilityViolations(page);
    if (found.length > 0) violations[name] = found;
    expect({ page: name, violations: found }).toStrictEqual({ page: name, violations: [] });
  }

  test('serves the app and forwards to both planes from one origin; its copy of the OpenAPI document is current', async () => {
    const index = await fetch(`${consoleUrl}/jobs/any-client-route`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toContain('text/html');
    expect(await index.text()).toContain('<div id="root">');
    const settings = await (await fetch(`${consoleUrl}/console-settings.json`)).json();
    expect(settings).toStrictEqual({ authMode: 'jwt', oidc: { issuer: oidc.issuer, clientId: CLIENT_ID }, temporalUiUrl: 'http://127.0.0.1:8233', temporalNamespace: 'default' });
    // The planes still check every forwarded call.
    expect((await fetch(`${consoleUrl}/control/connectors`)).status).toBe(401);
    expect((await fetch(`${consoleUrl}/exec/jobs`)).status).toBe(401);
    expect((await fetch(`${consoleUrl}/exec/connectors`)).status).toBe(404); // a control route is not on the exec plane
    const live = consoleApiDocument((await http('GET', `${platform.control}/docs-json`)).body, (await http('GET', `${platform.exec}/docs-json`)).body);
    const committed = JSON.parse(readFileSync(join(ROOT, 'console', 'openapi.json'), 'utf8'));
    expect(committed).toStrictEqual(live); // else: npm run console:api-types (with the platform running)
  });

  test('happy path: sign in, create a secret ref, a policy and a connector, run it, watch its events arrive live, see it succeed', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    downstream.on('/charges', async (_call, response) => {
      await held; // the job stays running until the page is open and streaming
      json(response, 201, { id: 'ch_1', ok: true });
    });
    const page = await signIn('ada-admin');
    await scan(page, 'overview (signed in)');
    await screenshot(page, 'overview');

    // Secret ref: write-only value.
    const secretName = uniqueName('token').replace('_', '-');
    await visit(page, '/secrets', 'Secret refs');
    await page.getByRole('textbox', { name: /^Name/ }).fill(secretName);
    await page.getByLabel(/^Value \(write-only\)/).fill(SECRET_VALUE);
    await page.getByRole('button', { name: 'Create secret ref' }).click();
    await page.getByRole('cell', { name: secretName }).waitFor();
    expect(await page.content()).not.toContain(SECRET_VALUE);
    await screenshot(page, 'secrets');

    // Policy.
    const policyName = uniqueName('pol').replace('_', '-');
    await visit(page, '/policies', 'Policies');
    await page.getByRole('button', { name: 'New policy' }).click();
    await page.getByRole('dialog').getByRole('textbox', { name: /^Name/ }).fill(policyName);
    await page.getByRole('button', { name: 'Create policy' }).click();
    await page.getByRole('heading', { level: 1, name: `Policy ${policyName}` }).waitFor();

    // Connector: http, bearer auth from the secret ref, bound to the policy.
    const connectorName = uniqueName('billing').replace('_', '-');
    await visit(page, '/connectors', 'Connectors');
    await page.getByRole('button', { name: 'New connector' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: /^Name/ }).fill(connectorName);
    await dialog.getByRole('textbox', { name: 'Policy' }).click();
    await page.getByRole('option', { name: policyName }).click();
    // The api's validation errors land on the fields.
    await dialog.getByLabel(/^Base URL/).fill('not a url');
    await dialog.getByRole('button', { name: 'Create connector' }).click();
    await dialog.getByText('baseUrl must be an http(s) URL').waitFor();
    expect(await dialog.getByLabel(/^Base URL/).getAttribute('aria-invalid')).toBe('true');
    await dialog.getByLabel(/^Base URL/).fill(downstream.url);
    await dialog.getByLabel(/^Operations/).fill(JSON.stringify({ charge: { method: 'POST', path: '/charges', body: { amount: '{amount}' }, successStatuses: [201] } }));
    await dialog.getByRole('textbox', { name: 'Auth', exact: true }).click();
    await page.getByRole('option', { name: 'bearer' }).click();
    await dialog.getByRole('textbox', { name: 'Auth secret ref' }).click();
    await page.getByRole('option', { name: secretName }).click();
    await dialog.getByLabel('Allow private network targets').check();
    await dialog.getByRole('button', { name: 'Create connector' }).click();
    await page.getByRole('heading', { level: 1, name: `Connector ${connectorName}` }).waitFor();
    await page.getByTestId('breaker-state').getByText('closed').waitFor();
    await scan(page, 'connector');
    await screenshot(page, 'connector');

    // Run it from the connector page's run form; the job page opens while the call is held.
    await page.getByRole('textbox', { name: 'Operation' }).click();
    await page.getByRole('option', { name: 'charge' }).click();
    await page.getByLabel('Input (JSON)').fill('{"amount": 1200}');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/);
    const jobId = page.url().split('/').pop()!;
    await page.getByText('events live').waitFor();
    const events = page.getByTestId('job-events');
    await events.getByText('attempt.started').waitFor();
    expect(await events.getByText('job.succeeded').count()).toBe(0);
    release();
    // No reload: the stream brings the rest, and the status follows.
    await events.getByText('job.succeeded').waitFor({ timeout: 30_000 });
    await page.getByTestId('job-status').getByText('succeeded').waitFor();
    await page.getByRole('cell', { name: '201', exact: true }).waitFor(); // the attempt's HTTP status
    await scan(page, 'job');
    await screenshot(page, 'job');
    const call = downstream.callsTo('/charges')[0];
    expect(call.headers.authorization).toBe(`Bearer ${SECRET_VALUE}`);
    expect(JSON.parse(call.body)).toStrictEqual({ amount: 1200 });
    const job = await http('GET', `${platform.exec}/jobs/${jobId}`, { headers: { authorization: `Bearer ${await tokenOf(page)}` } });
    expect(job.body.status).toBe('succeeded');

    await visit(page, `/jobs?status=succeeded`, 'Jobs', 'jobs');
    await page.getByRole('link', { name: jobId.slice(0, 8) }).waitFor();
    await visit(page, '/policies', 'Policies', 'policies');
    await page.getByRole('link', { name: policyName }).click();
    await page.getByRole('heading', { level: 1, name: `Policy ${policyName}` }).waitFor();
    await scan(page, 'policy');
    await screenshot(page, 'policy');
    await visit(page, '/connectors', 'Connectors', 'connectors');
    await visit(page, '/configs', 'Configs', 'configs');
    await visit(page, '/inbox', 'Webhook inbox', 'inbox');
    await visit(page, '/audit', 'Audit', 'audit');
    await page.getByRole('cell', { name: 'POST /connectors', exact: true }).first().waitFor();
  });

  test('a failing connector: the breaker opens, Overview, the connector page and the waiting job say so; a reset from the UI lets the job complete', async () => {
    let healthy = false;
    downstream.on('/flaky', (_call, response) => (healthy ? json(response, 200, { ok: true }) : json(response, 503, { error: 'down' })));
    const page = await signIn('ada-admin');
    const policy = await api(page, 'POST', `${platform.control}/policies`, {
      name: uniqueName('breaker').replace('_', '-'),
      retry: { maxAttempts: 20, initialIntervalMs: 200, backoffCoefficient: 1, maxIntervalMs: 200, jitter: 0, nonRetryable: [], respectRetryAfter: true },
      // openMs far beyond the test: only the reset from the UI closes it.
      circuitBreaker: { enabled: true, failureRateThreshold: 0.5, minimumCalls: 2, windowMs: 60_000, openMs: 600_000, halfOpenMaxCalls: 1 },
    });
    const connector = await api(page, 'POST', `${platform.control}/connectors`, {
      name: uniqueName('flaky').replace('_', '-'),
      type: 'http',
      baseUrl: downstream.url,
      operations: { call: { method: 'POST', path: '/flaky' } },
      allowPrivateNetwork: true,
      policyId: policy.id,
    });
    const job = await api(page, 'POST', `${platform.exec}/execute`, { connector: connector.name, operation: 'call' });
    await until('the job to wait on the open breaker', async () => {
      const current = await api(page, 'GET', `${platform.exec}/jobs/${job.id}`);
      return current.status === 'waiting' && current.waitReason === 'circuit_open' ? current : undefined;
    });
    const state = await api(page, 'GET', `${platform.control}/connectors/${connector.id}/state`);
    expect(state.breaker.state).toBe('open');
    const halfOpens = await page.evaluate((iso: string) => new Date(iso).toLocaleString(), state.breaker.openUntil as string);

    await visit(page, '/', 'Overview', 'overview-breaker-open');
    const row = page.getByRole('row').filter({ hasText: connector.name });
    await row.getByText(`breaker open until ${halfOpens}`).waitFor();

    await visit(page, `/connectors/${connector.id}`, `Connector ${connector.name}`, 'connector-breaker-open');
    await page.getByTestId('breaker-state').getByText('open').waitFor();
    expect(await page.getByTestId('half-opens-at').textContent()).toBe(`half-opens at ${halfOpens}`);

    await visit(page, `/jobs/${job.id}`, `Job ${job.id.slice(0, 8)}`, 'job-waiting');
    expect(await page.getByTestId('waiting-banner').textContent()).toContain(`circuit breaker is open until ${halfOpens}`);
    expect(await page.getByTestId('job-status').textContent()).toBe('waiting');

    healthy = true;
    await visit(page, `/connectors/${connector.id}`, `Connector ${connector.name}`);
    await page.getByRole('button', { name: 'Reset breaker' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Reset breaker' }).click();
    await page.getByTestId('breaker-state').getByText('closed').waitFor();
    await visit(page, `/jobs/${job.id}`, `Job ${job.id.slice(0, 8)}`);
    await page.getByTestId('job-status').getByText('succeeded').waitFor({ timeout: 30_000 });
    const done = await api(page, 'GET', `${platform.exec}/jobs/${job.id}`);
    expect(done.status).toBe('succeeded');
    const manual = (await api(page, 'GET', `${platform.exec}/events?type=breaker.closed&limit=100`)).items.filter((event: { data: { connectorId: string } }) => event.data.connectorId === connector.id);
    expect(manual.map((event: { data: { manual?: boolean } }) => event.data.manual)).toStrictEqual([true]);
  });

  test('DLQ: a failed job replayed with edited input from the UI; a bulk replay shows its dry-run count before it runs', async () => {
    downstream.on('/check', (call, response) => (JSON.parse(call.body || '{}').mode === 'good' ? json(response, 200, { ok: true }) : json(response, 422, { error: 'bad mode' })));
    const page = await signIn('ada-admin');
    const connector = await api(page, 'POST', `${platform.control}/connectors`, {
      name: uniqueName('check').replace('_', '-'),
      type: 'http',
      baseUrl: downstream.url,
      operations: { check: { method: 'POST', path: '/check', body: { mode: '{mode}' } } },
      allowPrivateNetwork: true,
    });
    const failed = [];
    for (let i = 0; i < 2; i++) failed.push(await api(page, 'POST', `${platform.exec}/execute`, { connector: connector.name, operation: 'check', input: { mode: 'bad' } }));
    await until('both jobs in the DLQ', async () => {
      const dlq = await api(page, 'GET', `${platform.control}/dlq?connector=${connector.id}`);
      return dlq.items.length === 2 ? dlq : undefined;
    });

    await visit(page, `/dlq?connector=${connector.id}`, 'Dead-letter queue', 'dlq');
    for (const job of failed) await page.getByRole('link', { name: job.id.slice(0, 8) }).first().waitFor();

    // Replay one with edited input.
    const [first, second] = failed;
    await visit(page, `/jobs/${first.id}`, `Job ${first.id.slice(0, 8)}`, 'job-failed');
    await page.getByRole('button', { name: 'Replay…' }).click();
    const editor = page.getByRole('dialog').getByLabel('Input (JSON)');
    expect(JSON.parse(await editor.inputValue())).toStrictEqual({ mode: 'bad' });
    await editor.fill('{ "mode": "good" }');
    await page.getByRole('button', { name: 'Replay with this input' }).click();
    await page.waitForURL((url) => /\/jobs\/[0-9a-f-]{36}$/.test(url.pathname) && !url.pathname.endsWith(first.id));
    await page.getByTestId('job-status').getByText('succeeded').waitFor({ timeout: 30_000 });
    const replayId = page.url().split('/').pop()!;
    const replay = await api(page, 'GET', `${platform.exec}/jobs/${replayId}`);
    expect([replay.replayOf, replay.input, replay.status]).toStrictEqual([first.id, { mode: 'good' }, 'succeeded']);
    expect(JSON.parse(downstream.callsTo('/check').at(-1)!.body)).toStrictEqual({ mode: 'good' });

    // Bulk: the dry run's count first; nothing is replayed until confirmed.
    const callsBefore = downstream.callsTo('/check').length;
    await visit(page, `/dlq?connector=${connector.id}`, 'Dead-letter queue');
    await page.getByRole('button', { name: 'Replay all matching…' }).click();
    await page.getByTestId('dry-run-count').getByText('Dry run: 1 job would be replayed.').waitFor();
    await scan(page, 'dlq bulk replay dialog');
    await screenshot(page, 'dlq-bulk-replay');
    const untouched = await api(page, 'GET', `${platform.exec}/jobs/${second.id}`);
    expect(untouched.replayedBy).toBeNull();
    expect(downstream.callsTo('/check').length).toBe(callsBefore);
    await page.getByRole('button', { name: 'Replay 1 jobs' }).click();
    await page.getByText('1 replayed, 0 failed.').waitFor();
    const replayed = await until('the bulk replay to be recorded', async () => {
      const current = await api(page, 'GET', `${platform.exec}/jobs/${second.id}`);
      return current.replayedBy ? current : undefined;
    });
    expect(replayed.replayedBy).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('a result kept in the payload store is offered as a download of the exact bytes', async () => {
    const rows = Array.from({ length: 2_000 }, (_, i) => ({ row: i, text: 'x'.repeat(40) }));
    downstream.on('/report', (_call, response) => json(response, 200, { rows }));
    const page = await signIn('ada-admin');
    const connector = await api(page, 'POST', `${platform.control}/connectors`, {
      name: uniqueName('report').replace('_', '-'),
      type: 'http',
      baseUrl: downstream.url,
      operations: { report: { method: 'GET', path: '/report' } },
      allowPrivateNetwork: true,
    });
    const accepted = await api(page, 'POST', `${platform.exec}/execute`, { connector: connector.name, operation: 'report' });
    const job = await until('the report job to end', async () => {
      const seen = await api(page, 'GET', `${platform.exec}/jobs/${accepted.id}`);
      return seen.completedAt ? seen : undefined;
    });
    expect([job.status, job.result, typeof job.links.result]).toStrictEqual(['succeeded', null, 'string']);

    await visit(page, `/jobs/${job.id}`, `Job ${job.id.slice(0, 8)}`);
    await page.getByText(/Kept in the payload store \(0\.[0-9] MiB\)/).waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download result' }).click()]);
    const saved = readFileSync(await download.path());
    expect([download.suggestedFilename(), JSON.parse(saved.toString()).body]).toStrictEqual([`job-${job.id}-result.json`, { rows }]);
    expect(createHash('sha256').update(saved).digest('hex')).toBe(job.payloads.result.sha256);
  });

  test('a viewer sees no write controls; an executor-only token is refused the control pages with an explanation', async () => {
    const admin = await signIn('ada-admin');
    const connector = (await api(admin, 'GET', `${platform.control}/connectors`)).items[0];
    const dlqJob = (await api(admin, 'GET', `${platform.control}/dlq`)).items[0] ?? (await api(admin, 'GET', `${platform.exec}/jobs?status=failed`)).items[0];
    expect(connector).toBeDefined();
    expect(dlqJob).toBeDefined();

    // The viewer's system is in dark mode: the console follows it.
    const viewer = await signIn('vic-viewer', 'dark');
    expect(await viewer.locator('html').getAttribute('data-mantine-color-scheme')).toBe('dark');
    await scan(viewer, 'overview (dark)');
    await screenshot(viewer, 'overview-dark');
    // Keyboard: the navigation is links that Enter follows.
    await viewer.getByRole('link', { name: 'Connectors', exact: true }).focus();
    await viewer.keyboard.press('Enter');
    await viewer.getByRole('heading', { level: 1, name: 'Connectors' }).waitFor();
    const writeButtons = ['New connector', 'Edit', 'Reset breaker', 'Open breaker', 'New policy', 'New version', 'Create secret ref', 'Replay all matching…', 'Purge', 'Replay…', 'Cancel job', 'Run', 'Activate', 'Roll back', 'Retry', 'Delete'];
    const pages: [string, string | RegExp, string?][] = [
      ['/connectors', 'Connectors'],
      [`/connectors/${connector.id}`, `Connector ${connector.name}`, 'viewer-connector'],
      ['/policies', 'Policies'],
      ['/secrets', 'Secret refs'],
      ['/dlq', 'Dead-letter queue'],
      ['/jobs', 'Jobs'],
      [`/jobs/${dlqJob.id}`, `Job ${dlqJob.id.slice(0, 8)}`],
      ['/configs', 'Configs'],
      ['/inbox', 'Webhook inbox'],
    ];
    for (const [path, heading, shot] of pages) {
      await visit(viewer, path, heading, shot);
      for (const name of writeButtons) expect({ path, name, count: await viewer.getByRole('button', { name, exact: true }).count() }).toStrictEqual({ path, name, count: 0 });
    }
    await viewer.getByRole('table', { name: 'Webhook deliveries' }).or(viewer.getByText('No webhook deliveries yet.')).waitFor();
    await visit(viewer, `/connectors/${connector.id}`, `Connector ${connector.name}`);
    await viewer.getByTestId('breaker-state').waitFor(); // reads work

    const executor = await signIn('eve-executor');
    for (const [path, heading] of [['/connectors', 'Connectors'], ['/dlq', 'Dead-letter queue'], ['/secrets', 'Secret refs'], ['/audit', 'Audit']] as const) {
      await visit(executor, path, heading, path === '/connectors' ? 'executor-refused' : undefined);
      const alert = executor.getByRole('alert').first();
      await alert.getByText(/^Access refused/).waitFor();
      expect(await alert.textContent()).toContain('Control-plane pages need a role that reads the control plane (admin, operator or viewer). You are signed in with the roles: executor.');
      expect(await alert.textContent()).toContain('HTTP 403 · FORBIDDEN');
    }
    // The exec plane is the executor's: its jobs page loads.
    await visit(executor, '/jobs', 'Jobs');
    expect(await executor.getByRole('alert').count()).toBe(0);
    await executor.getByRole('button', { name: 'Run', exact: true }).waitFor();
  });
});
