// A real OpenID Connect provider (the `oidc-provider` package) for the console's browser test, run
// as a child process (it is ESM-only, jest's loader is not): authorization code + PKCE for one
// public client, JWT access tokens (RS256, published at /jwks) carrying `tenant_id` and `roles`.
// Sign-in is the package's development login form: any password, the login picks the account.
//
//   node test/support/oidc-provider.mjs PORT CLIENT_ID REDIRECT_URI AUDIENCE ACCOUNTS_JSON
//   ACCOUNTS_JSON: { "<login>": { "tenant": "acme", "roles": ["admin"] }, … }
// Prints `ready <issuer>` on stdout once it listens.
import Provider from 'oidc-provider';

const [port, clientId, redirectUri, audience, accountsJson] = process.argv.slice(2);
const accounts = JSON.parse(accountsJson);
const issuer = `http://127.0.0.1:${port}`;
// The resource (RFC 8707) every token is for: the api, both planes under one audience.
const RESOURCE = 'urn:orchestrator:api';

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      token_endpoint_auth_method: 'none',
      redirect_uris: [redirectUri],
      post_logout_redirect_uris: [new URL('/', redirectUri).toString()],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
  ],
  async findAccount(_ctx, id) {
    if (!accounts[id]) return undefined;
    return { accountId: id, claims: async () => ({ sub: id }) };
  },
  features: {
    devInteractions: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => RESOURCE,
      useGrantedResource: async () => true,
      getResourceServerInfo: async () => ({ scope: 'api', audience, accessTokenFormat: 'jwt', accessTokenTTL: 3600, jwt: { sign: { alg: 'RS256' } } }),
    },
  },
  // The console is a first-party client: no consent screen.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid');
    grant.addResourceScope(RESOURCE, 'api');
    await grant.save();
    return grant;
  },
  async extraTokenClaims(_ctx, token) {
    const account = accounts[token.accountId];
    return account ? { tenant_id: account.tenant, roles: account.roles } : undefined;
  },
  pkce: { required: () => true },
});
provider.listen(Number(port), '127.0.0.1', () => process.stdout.write(`ready ${issuer}\n`));
