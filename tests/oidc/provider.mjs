// The local OpenID Connect provider of the OIDC test (tests/oidc/run.sh): panva's oidc-provider
// (OpenID Certified) on 127.0.0.1, with one confidential client and a few people whose ID tokens
// carry a `groups` claim, as Keycloak's group membership mapper puts it there.
//
// Its built-in development interactions let any login name through with any password; the name
// chooses the person:
//   anna  → groups ["sovbench-approver", "other"]
//   erik  → groups ["/sovbench-editor"]   (a Keycloak group path, "full group path" on)
//   bob   → groups []                     (no role on the node: refused)
//
// Settings from the environment: OIDC_PORT (required), OIDC_CLIENT_ID, OIDC_CLIENT_SECRET,
// OIDC_REDIRECT_URI. Prints "issuer: URL" when it listens. NODE_MODULES: where oidc-provider is.
import { generateKeyPairSync } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.join(process.env.NODE_MODULES ?? '.', 'x.js'));
const { default: Provider } = await import(require.resolve('oidc-provider'));

const port = Number(process.env.OIDC_PORT);
if (!port) throw new Error('OIDC_PORT is not set');
const issuer = `http://127.0.0.1:${port}`;

const GROUPS = {
  anna: ['sovbench-approver', 'other'],
  erik: ['/sovbench-editor'],
  bob: [],
};

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-1', use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.OIDC_CLIENT_ID ?? 'sovbench',
    client_secret: process.env.OIDC_CLIENT_SECRET ?? 'test-secret',
    redirect_uris: [process.env.OIDC_REDIRECT_URI ?? 'http://127.0.0.1:8080/oidc/callback'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [jwk] },
  pkce: { required: () => true },
  // Scope claims in the ID token itself (as Keycloak's mappers with "Add to ID token" on).
  conformIdTokenClaims: false,
  claims: { openid: ['sub'], profile: ['preferred_username', 'name', 'groups'] },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, name: id, groups: GROUPS[id] ?? [] };
      },
    };
  },
  features: { devInteractions: { enabled: true } },
  ttl: { Session: 600, Interaction: 600, Grant: 600, AuthorizationCode: 60, IdToken: 300, AccessToken: 300 },
});
provider.proxy = false;

provider.listen(port, '127.0.0.1', () => {
  console.log(`issuer: ${issuer}`);
});
