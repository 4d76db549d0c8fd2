import { createRootRoute, createRoute, createRouter } from '@tanstack/react-router';
import { Layout } from './components/layout';
import { AuditPage } from './pages/audit';
import { ConfigsPage } from './pages/configs';
import { ConnectorPage, ConnectorsPage } from './pages/connectors';
import { DlqPage } from './pages/dlq';
import { InboxPage } from './pages/inbox';
import { JobPage } from './pages/job';
import { JobsPage } from './pages/jobs';
import { OverviewPage } from './pages/overview';
import { PoliciesPage, PolicyPage } from './pages/policies';
import { SecretsPage } from './pages/secrets';

const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

const rootRoute = createRootRoute({ component: Layout });
const routes = [
  createRoute({ getParentRoute: () => rootRoute, path: '/', component: OverviewPage }),
  // Filters live in the URL, so a view can be shared.
  createRoute({
    getParentRoute: () => rootRoute,
    path: '/jobs',
    validateSearch: (search: Record<string, unknown>): { status?: string; connector?: string; since?: string; cursor?: string } => ({ status: text(search.status), connector: text(search.connector), since: text(search.since), cursor: text(search.cursor) }),
    component: JobsPage,
  }),
  createRoute({ getParentRoute: () => rootRoute, path: '/jobs/$jobId', component: JobPage }),
  createRoute({ getParentRoute: () => rootRoute, path: '/connectors', component: ConnectorsPage }),
  createRoute({ getParentRoute: () => rootRoute, path: '/connectors/$connectorId', component: ConnectorPage }),
  createRoute({ getParentRoute: () => rootRoute, path: '/policies', component: PoliciesPage }),
  createRoute({ getParentRoute: () => rootRoute, path: '/policies/$policyId', component: PolicyPage }),
  createRoute({ getParentRoute: () => rootRoute, path: '/configs', component: ConfigsPage }),
  createRoute({
    getParentRoute: () => rootRoute,
    path: '/dlq',
    validateSearch: (search: Record<string, unknown>): { connector?: string; operation?: string; errorType?: string } => ({ connector: text(search.connector), operation: text(search.operation), errorType: text(search.errorType) }),
    component: DlqPage,
  }),
  createRoute({ getParentRoute: () => rootRoute, path: '/inbox', component: InboxPage }),
  createRoute({
    getParentRoute: () => rootRoute,
    path: '/audit',
    validateSearch: (search: Record<string, unknown>): { actor?: string; action?: string; target?: string; since?: string; impersonated?: string } => ({
      actor: text(search.actor),
      action: text(search.action),
      target: text(search.target),
      since: text(search.since),
      impersonated: text(search.impersonated),
    }),
    component: AuditPage,
  }),
  createRoute({ getParentRoute: () => rootRoute, path: '/secrets', component: SecretsPage }),
];

export function createAppRouter() {
  return createRouter({ routeTree: rootRoute.addChildren(routes) });
}

declare module '@tanstack/react-router' {
  interface Register {
    router: ReturnType<typeof createAppRouter>;
  }
}
