import { User, UserManager, WebStorageStateStore } from 'oidc-client-ts';

/** What the api tells the app at start (GET /console-settings.json, src/console/operator-console.ts). */
export interface ConsoleSettings {
  authMode: 'jwt' | 'disabled';
  oidc: { issuer: string; clientId: string } | null;
  temporalUiUrl: string | null;
  temporalNamespace: string;
}

export type Permission = 'control:read' | 'control:write' | 'control:operate' | 'exec:execute' | 'exec:read' | 'exec:read:tenant' | 'platform:impersonate';

// The api's table (src/auth/principal.ts, SPEC §4). The api decides; the console only hides what
// would be refused anyway.
const ROLE_PERMISSIONS: Record<string, readonly Permission[]> = {
  admin: ['control:read', 'control:write', 'control:operate', 'exec:read', 'exec:read:tenant'],
  operator: ['control:read', 'control:operate', 'exec:read', 'exec:read:tenant'],
  executor: ['exec:execute', 'exec:read'],
  viewer: ['control:read', 'exec:read', 'exec:read:tenant'],
  'platform-admin': ['control:read', 'control:write', 'control:operate', 'exec:execute', 'exec:read', 'exec:read:tenant', 'platform:impersonate'],
};

/** Who the console acts as: from the access token's claims, or tenant `dev` when auth is disabled. */
export interface Session {
  settings: ConsoleSettings;
  token: string | null;
  tenant: string;
  subject: string;
  roles: string[];
  /** Set by a platform-admin: the tenant every call acts as (x-impersonate-tenant). */
  actingAs: string | null;
  signOut(): Promise<void>;
}

export function can(session: Pick<Session, 'roles'>, permission: Permission): boolean {
  return session.roles.some((role) => ROLE_PERMISSIONS[role]?.includes(permission));
}

function claimsOf(token: string): Record<string, unknown> {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(payload)) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export async function loadSettings(): Promise<ConsoleSettings> {
  const response = await fetch('/console-settings.json');
  if (!response.ok) throw new Error(`The console's settings did not load (HTTP ${response.status}).`);
  return (await response.json()) as ConsoleSettings;
}

const ACTING_AS_KEY = 'orchestrator.actingAs';

export function setActingAs(tenant: string | null): void {
  if (tenant) sessionStorage.setItem(ACTING_AS_KEY, tenant);
  else sessionStorage.removeItem(ACTING_AS_KEY);
}

function sessionFromUser(settings: ConsoleSettings, user: User, manager: UserManager): Session {
  const claims = { ...user.profile, ...claimsOf(user.access_token) } as Record<string, unknown>;
  const roles = Array.isArray(claims.roles) ? claims.roles.map(String) : [];
  return {
    settings,
    token: user.access_token,
    tenant: String(claims.tenant_id ?? ''),
    subject: String(claims.sub ?? ''),
    roles,
    actingAs: roles.includes('platform-admin') ? sessionStorage.getItem(ACTING_AS_KEY) : null,
    signOut: async () => {
      await manager.removeUser();
      window.location.assign('/');
    },
  };
}

export type Start =
  | { kind: 'ready'; session: Session }
  | { kind: 'sign-in'; signIn: () => Promise<void> }
  | { kind: 'misconfigured'; message: string };

/**
 * Sign-in by OpenID Connect, authorization code + PKCE (oidc-client-ts). The identity provider
 * redirects back to /callback; the user (tokens) is kept in sessionStorage, so a closed tab signs out.
 */
export async function start(settings: ConsoleSettings): Promise<Start> {
  if (settings.authMode === 'disabled') {
    return {
      kind: 'ready',
      session: { settings, token: null, tenant: 'dev', subject: 'dev', roles: Object.keys(ROLE_PERMISSIONS), actingAs: null, signOut: async () => undefined },
    };
  }
  if (!settings.oidc) {
    return { kind: 'misconfigured', message: 'Sign-in is not configured: set ORCH_OIDC_ISSUER and ORCH_OIDC_CLIENT_ID on the api.' };
  }
  const manager = new UserManager({
    authority: settings.oidc.issuer,
    client_id: settings.oidc.clientId,
    redirect_uri: `${window.location.origin}/callback`,
    post_logout_redirect_uri: `${window.location.origin}/`,
    response_type: 'code',
    scope: 'openid',
    userStore: new WebStorageStateStore({ store: window.sessionStorage }),
  });
  if (window.location.pathname === '/callback') {
    const user = await manager.signinRedirectCallback();
    const back = (user.state as { returnTo?: string } | undefined)?.returnTo ?? '/';
    window.history.replaceState(null, '', back.startsWith('/') && !back.startsWith('/callback') ? back : '/');
    return { kind: 'ready', session: sessionFromUser(settings, user, manager) };
  }
  const user = await manager.getUser();
  if (user && !user.expired) return { kind: 'ready', session: sessionFromUser(settings, user, manager) };
  return {
    kind: 'sign-in',
    signIn: () => manager.signinRedirect({ state: { returnTo: `${window.location.pathname}${window.location.search}` } }),
  };
}
