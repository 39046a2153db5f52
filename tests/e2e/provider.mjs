#!/usr/bin/env node
// gitseal e2e: a certified OpenID provider (panva/oidc-provider 9) on 127.0.0.1, configured as a
// Sigstore issuer would be for a native CLI:
//
//   * one public native client (default id `sigstore`, no secret, PKCE S256 required) whose
//     loopback redirect URIs match on any port (RFC 8252 §7.3: `application_type: native`);
//   * scopes `openid email`, with `email`/`email_verified` inside the ID token
//     (`conformIdTokenClaims: false`), unless --conform-id-token-claims;
//   * the device authorization grant (RFC 8628) at /device/auth, user page /device;
//   * the stock development login/consent pages (any login and password; the login becomes
//     `sub` and, with @, the email).
//
// Usage: node provider.mjs [options]
//   --port N                   0 (default) = a free port
//   --ready-file PATH          written (atomically) once listening:
//                              {"issuer","port","pid","alg","clientId"}
//   --alg RS256|ES256          ID token signature (default RS256, what Sigstore's Dex uses)
//   --client-id ID             default sigstore
//   --email-domain D           appended to logins without @ (default example.test)
//   --skip-consent             no consent page (grant openid email silently)
//   --conform-id-token-claims  oidc-provider's default: email only from userinfo, not the ID token
//   --id-token-override JSON   claims replaced in every ID token the token endpoint returns,
//                              re-signed with the provider's own key (wrong nonce / aud tests)
//   --slow-down N              answer the first N pending device polls with slow_down
//   --events PATH              append one JSON line per token/device endpoint call
//                              ({"t": ms, "endpoint", "grantType", "status", "error"})
//   --debug                    log every request to stderr
// Stdout: one line `ISSUER=<url>`. Diagnostics: stderr, prefixed "provider:". SIGTERM/SIGINT stop.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { parseArgs } from 'node:util';

import Provider, { interactionPolicy } from 'oidc-provider';

const log = (...a) => console.error('provider:', ...a);

let opts;
try {
  ({ values: opts } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      'ready-file': { type: 'string' },
      alg: { type: 'string', default: 'RS256' },
      'client-id': { type: 'string', default: 'sigstore' },
      'email-domain': { type: 'string', default: 'example.test' },
      'skip-consent': { type: 'boolean', default: false },
      'conform-id-token-claims': { type: 'boolean', default: false },
      'id-token-override': { type: 'string' },
      'slow-down': { type: 'string', default: '0' },
      events: { type: 'string' },
      debug: { type: 'boolean', default: false },
    },
  }));
} catch (e) {
  log(e.message);
  process.exit(2);
}

const alg = opts.alg.toUpperCase();
if (alg !== 'RS256' && alg !== 'ES256') {
  log(`--alg ${opts.alg}: use RS256 or ES256`);
  process.exit(2);
}
let override = null;
if (opts['id-token-override']) {
  try {
    override = JSON.parse(opts['id-token-override']);
  } catch (e) {
    log(`--id-token-override is not JSON: ${e.message}`);
    process.exit(2);
  }
}
let slowDownLeft = Number.parseInt(opts['slow-down'], 10) || 0;
const clientId = opts['client-id'];

// Signing keys, fresh per run. Both are published; the client metadata picks the one that signs.
const signing = {
  RS256: crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
  ES256: crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
};
const kids = { RS256: 'gitseal-e2e-rs256', ES256: 'gitseal-e2e-es256' };
const jwks = {
  keys: Object.entries(signing).map(([a, key]) => ({
    ...key.export({ format: 'jwk' }), kid: kids[a], alg: a, use: 'sig',
  })),
};

function event(fields) {
  if (!opts.events) return;
  try {
    fs.appendFileSync(opts.events, `${JSON.stringify({ t: Date.now(), ...fields })}\n`);
  } catch (e) {
    log(`cannot write ${opts.events}: ${e.message}`);
  }
}

// Re-sign an ID token with some claims replaced (the provider's own key, so only the replaced
// claims are wrong).
function tamper(idToken) {
  const [h, p] = idToken.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const claims = { ...JSON.parse(Buffer.from(p, 'base64url')), ...override };
  const input = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const key = signing[header.alg];
  const sig = header.alg === 'ES256'
    ? crypto.sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
    : crypto.sign('sha256', Buffer.from(input), key);
  return `${input}.${sig.toString('base64url')}`;
}

// Bind first: the issuer URL (with the port) must be known before the Provider exists.
const server = http.createServer();
let app = (_req, res) => { res.statusCode = 503; res.end('starting'); };
server.on('request', (req, res) => {
  if (opts.debug) res.on('finish', () => log(`${req.method} ${req.url} -> ${res.statusCode}`));
  app(req, res);
});
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(Number(opts.port), '127.0.0.1', resolve);
});
const { port } = server.address();
const issuer = `http://127.0.0.1:${port}`;

const emailOf = (login) => (login.includes('@') ? login : `${login}@${opts['email-domain']}`);

const configuration = {
  clients: [{
    client_id: clientId,
    client_name: 'gitseal e2e',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'],
    response_types: ['code'],
    // For native clients the port of an http loopback redirect is not compared; scheme, host
    // name and path are, so each host name a client may use is registered.
    redirect_uris: ['localhost', '127.0.0.1', '[::1]'].map((h) => `http://${h}/auth/callback`),
    id_token_signed_response_alg: alg,
  }],
  jwks,
  pkce: { required: () => true },
  responseTypes: ['code'],
  scopes: ['openid', 'email'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  conformIdTokenClaims: opts['conform-id-token-claims'],
  async findAccount(_ctx, accountId) {
    return {
      accountId,
      async claims() {
        return { sub: accountId, email: emailOf(accountId), email_verified: true };
      },
    };
  },
  features: {
    devInteractions: { enabled: true },
    deviceFlow: { enabled: true },
  },
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
  ttl: {
    AccessToken: 600, AuthorizationCode: 120, DeviceCode: 600, IdToken: 600,
    Interaction: 600, Session: 3600, Grant: 3600,
  },
  renderError(ctx, out, error) {
    log(`error page: ${JSON.stringify(out)}${error?.error_detail ? ` (${error.error_detail})` : ''}`);
    const text = Object.entries(out).map(([k, v]) => `${k}: ${String(v).replace(/[<>&"]/g, '')}`).join('\n');
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><html><head><title>oidc error</title></head><body><h1>oops! something went wrong</h1><pre id="error">${text}</pre></body></html>`;
  },
};

if (opts['skip-consent']) {
  // Native clients always get a consent prompt (check native_client_prompt, RFC 8252 §8.6),
  // and a grant must already exist: remove the check and create the grant on the fly.
  const policy = interactionPolicy.base();
  policy.get('consent').checks.remove('native_client_prompt');
  configuration.interactions = { policy };
  configuration.loadExistingGrant = async (ctx) => {
    const accountId = ctx.oidc.session?.accountId;
    if (!accountId) return undefined;
    const existing = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (existing) return ctx.oidc.provider.Grant.find(existing);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId });
    grant.addOIDCScope('openid email');
    await grant.save();
    return grant;
  };
}

const provider = new Provider(issuer, configuration);

// Token and device endpoints: record calls, inject slow_down, tamper with ID tokens.
provider.use(async (ctx, next) => {
  await next();
  const endpoint = { '/token': 'token', '/device/auth': 'device_authorization' }[ctx.path];
  if (!endpoint || ctx.method !== 'POST') return;
  const body = ctx.body && typeof ctx.body === 'object' ? ctx.body : {};
  if (endpoint === 'token' && body.error === 'authorization_pending' && slowDownLeft > 0) {
    slowDownLeft -= 1;
    body.error = 'slow_down';
    body.error_description = 'injected by the gitseal e2e provider (--slow-down)';
  }
  if (endpoint === 'token' && ctx.status === 200 && override && typeof body.id_token === 'string') {
    body.id_token = tamper(body.id_token);
  }
  event({
    endpoint,
    grantType: ctx.oidc?.params?.grant_type ?? null,
    status: ctx.status,
    error: body.error ?? null,
  });
});

for (const ev of ['server_error', 'authorization.error', 'grant.error', 'device_authorization.error', 'code_verification.error']) {
  provider.on(ev, (_ctx, err) => {
    if (err.name !== 'AuthorizationPending') {
      log(`${ev}: ${err.name}: ${err.message}${err.error_detail ? ` (${err.error_detail})` : ''}`);
    }
  });
}
app = provider.callback();

console.log(`ISSUER=${issuer}`);
if (opts['ready-file']) {
  const tmp = `${opts['ready-file']}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify({ issuer, port, pid: process.pid, alg, clientId }));
  fs.renameSync(tmp, opts['ready-file']);
}
log(`listening: issuer ${issuer}, client ${clientId}, ID tokens ${alg}`
  + `${opts['skip-consent'] ? ', no consent page' : ''}${opts['conform-id-token-claims'] ? ', email only at userinfo' : ''}`
  + `${override ? `, ID token override ${JSON.stringify(override)}` : ''}${slowDownLeft ? `, slow_down x${slowDownLeft}` : ''}`);

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
