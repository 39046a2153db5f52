#!/usr/bin/env node
// gitseal e2e: the "user with a browser". Opens a URL in Debian's Chromium (headless, driven by
// playwright-core; no browser is ever downloaded) and does what a person would on
// oidc-provider's stock pages.
//
// Usage: node open-url.mjs [options] URL
//   URL is an authorization URL (login, consent, then the browser is sent to the client's
//   loopback redirect_uri) or a device verification URL (`verification_uri_complete`, or
//   `verification_uri` with --user-code).
// Options:
//   --action approve|deny|close   approve (default): log in and consent;
//                                 deny: log in, then Cancel the consent (access_denied) or
//                                 Abort the device confirmation;
//                                 close: leave as soon as the first page is shown (the user
//                                 closed the browser).
//   --user-code CODE              device flow: type this code on the verification page
//   --login NAME                  what to type as login (default e2e@example.test; becomes sub
//                                 and, with @, the email)
//   --set NAME=VALUE              change a query parameter of URL before opening (repeatable;
//                                 e.g. state=forged: a login the client did not start)
//   --drop NAME                   remove a query parameter of URL before opening (repeatable;
//                                 e.g. code_challenge: a client without PKCE)
//   --timeout-ms N                overall deadline (default 60000)
//   --chromium PATH               browser binary (default $OIDC_E2E_CHROMIUM or /usr/bin/chromium)
//   --log PATH                    append diagnostics there instead of stderr
//   --artifacts DIR               on failure, save a screenshot and the page HTML there
//   --debug                       log every page and navigation
// Exit status: 0 the action was carried out (for approve: the callback page loaded, or the
// device page said "Sign-in Success"); 1 failure; 2 usage; 3 the provider showed an error page or
// an unexpected OAuth error reached the callback; 4 timeout. Never writes to stdout.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { chromium } from 'playwright-core';

const t0 = Date.now();
let logFile = null;
const log = (...parts) => {
  const line = `open-url: [${((Date.now() - t0) / 1000).toFixed(2)}s] ${parts.join(' ')}\n`;
  if (logFile) {
    try { fs.appendFileSync(logFile, line); return; } catch { /* fall through */ }
  }
  process.stderr.write(line);
};

class Stop extends Error {
  constructor(message, code) { super(message); this.code = code; }
}

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: {
      action: { type: 'string', default: 'approve' },
      'user-code': { type: 'string' },
      login: { type: 'string', default: 'e2e@example.test' },
      set: { type: 'string', multiple: true, default: [] },
      drop: { type: 'string', multiple: true, default: [] },
      'timeout-ms': { type: 'string', default: '60000' },
      chromium: { type: 'string', default: process.env.OIDC_E2E_CHROMIUM || '/usr/bin/chromium' },
      log: { type: 'string' },
      artifacts: { type: 'string' },
      debug: { type: 'boolean', default: false },
    },
  });
} catch (e) {
  process.stderr.write(`open-url: ${e.message}\n`);
  process.exit(2);
}
const o = args.values;
logFile = o.log ?? null;
const debug = o.debug ? log : () => {};
const usage = (why) => { log(`usage error: ${why}`); process.exit(2); };

if (args.positionals.length !== 1 || !URL.canParse(args.positionals[0])) usage('exactly one URL expected');
if (!['approve', 'deny', 'close'].includes(o.action)) usage(`--action ${o.action}`);
const timeoutMs = Number(o['timeout-ms']);
if (!(timeoutMs > 0)) usage(`--timeout-ms ${o['timeout-ms']}`);

const target = new URL(args.positionals[0]);
for (const kv of o.set) {
  const i = kv.indexOf('=');
  if (i < 1) usage(`--set ${kv}: expected NAME=VALUE`);
  target.searchParams.set(kv.slice(0, i), kv.slice(i + 1));
}
for (const name of o.drop) target.searchParams.delete(name);

const LOOPBACK = (host) => host === 'localhost' || host === '[::1]' || /^127\./.test(host);
if (!LOOPBACK(target.hostname)) usage(`${target.origin} is not a loopback URL (the e2e tier never leaves this machine)`);
const userCode = o['user-code'] ?? target.searchParams.get('user_code') ?? undefined;
const redirectUri = target.searchParams.get('redirect_uri');

// The client's callback: the redirect_uri's origin and path (any query).
function isCallback(u) {
  if (!redirectUri || !URL.canParse(u) || !URL.canParse(redirectUri)) return false;
  const a = new URL(u);
  const b = new URL(redirectUri);
  return a.origin === b.origin && a.pathname === b.pathname;
}

// What is on screen, from oidc-provider 9's stock dev-interaction and device-flow templates.
function classify(page) {
  return page.evaluate(() => {
    const q = (s) => document.querySelector(s);
    if (q('pre#error')) return 'error';
    if (q('input[name="login"]') && q('input[name="password"]')) return 'login';
    if (q('input[name="prompt"][value="consent"]')) return 'consent';
    if (q('form[id="op.deviceConfirmForm"]')) return 'device-confirm';
    if (q('form[id="op.deviceInputForm"]')) return q('p.red') ? 'device-input-rejected' : 'device-input';
    if (/Sign-in Success/i.test(document.title)) return 'device-success';
    if (document.title === 'Submitting Callback') return 'auto-post';
    return 'other';
  }).catch(() => 'navigating');
}

async function bodyText(page) {
  try {
    return (await page.locator('body').innerText({ timeout: 2000 })).replace(/\s+/g, ' ').trim().slice(0, 300);
  } catch { return ''; }
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gitseal-e2e-browser-'));
const home = path.join(tmp, 'home'); // Chromium writes ~/.config and ~/.cache even with a profile dir
fs.mkdirSync(home);
let context;
let page;

async function run() {
  const deadline = t0 + timeoutMs;
  const left = () => Math.max(1, deadline - Date.now());
  context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath: o.chromium,
    headless: true,
    timeout: Math.min(left(), 30000),
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_CACHE_HOME: path.join(home, '.cache') },
    // Playwright adds --headless and --user-data-dir (a fresh profile in tmp). Without the
    // background-networking switches Chromium's own connections fail in a closed network.
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage', '--no-default-browser-check',
    ],
  });
  page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(15000);
  // Hermetic: only loopback is reachable (the stock pages @import a web font).
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (/^https?:$/.test(u.protocol) && !LOOPBACK(u.hostname)) {
      debug(`blocked ${u.origin}`);
      return route.abort('blockedbyclient');
    }
    return route.continue();
  });

  let callback = null;
  let callbackFailed = null;
  page.on('response', (r) => {
    if (r.request().isNavigationRequest() && r.frame() === page.mainFrame() && isCallback(r.url())) {
      callback = { status: r.status(), url: r.url() };
    }
  });
  page.on('requestfailed', (r) => {
    if (r.frame() === page.mainFrame() && isCallback(r.url())) callbackFailed = `${r.failure()?.errorText} for ${r.url()}`;
  });
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) debug(`-> ${f.url()}`); });

  const act = async (what, fn) => {
    log(what);
    const loaded = page.waitForEvent('load', { timeout: left() });
    await fn();
    await loaded;
  };

  log(`opening ${target.origin}${target.pathname} (action ${o.action})`);
  await page.goto(target.href, { waitUntil: 'load', timeout: left() }).catch((e) => {
    if (!callback && !callbackFailed) throw new Stop(`cannot open ${target.origin}${target.pathname}: ${e.message.split('\n')[0]}`, 1);
  });

  let last = '';
  let repeats = 0;
  for (;;) {
    if (Date.now() >= deadline) throw new Stop(`timed out after ${timeoutMs} ms on ${page.url()} (${last})`, 4);
    if (callbackFailed) throw new Stop(`the browser could not reach the client's callback: ${callbackFailed}`, 1);
    if (callback) {
      await page.waitForLoadState('load', { timeout: Math.min(left(), 10000) }).catch(() => {});
      const error = new URL(callback.url).searchParams.get('error');
      if (error && !(o.action === 'deny' && error === 'access_denied')) {
        throw new Stop(`the callback carried an OAuth error: ${error}: ${new URL(callback.url).searchParams.get('error_description') ?? ''}`, 3);
      }
      log(`callback answered HTTP ${callback.status}${error ? ` (${error} delivered)` : ''}: ${await bodyText(page)}`);
      return 0;
    }
    const state = await classify(page);
    repeats = state === last ? repeats + 1 : 0;
    last = state;
    debug(`page: ${state} at ${page.url()}`);
    if (repeats > 3 && !['other', 'navigating', 'auto-post'].includes(state)) {
      throw new Stop(`stuck on the ${state} page: ${await bodyText(page)}`, 1);
    }
    if (o.action === 'close' && ['login', 'consent', 'device-input', 'device-confirm'].includes(state)) {
      log(`closing the browser on the ${state} page, as a user giving up would`);
      return 0;
    }
    switch (state) {
      case 'error':
        throw new Stop(`the provider showed an error page: ${await bodyText(page)}`, 3);
      case 'login':
        await act('login', async () => {
          await page.fill('input[name="login"]', o.login);
          await page.fill('input[name="password"]', 'e2e-password');
          await page.click('form:has(input[name="login"]) button[type="submit"]');
        });
        break;
      case 'consent':
        if (o.action === 'deny') {
          await act('consent: Cancel', () => page.click('a[href*="/abort"]'));
        } else {
          await act('consent: Continue', () => page.click('form:has(input[name="prompt"][value="consent"]) button[type="submit"]'));
        }
        break;
      case 'device-input':
        if (!userCode) throw new Stop('the device page asks for a user code; pass --user-code', 2);
        await act('device: type the user code', async () => {
          await page.fill('form[id="op.deviceInputForm"] input[name="user_code"]', userCode);
          await page.click('button[type="submit"][form="op.deviceInputForm"]');
        });
        break;
      case 'device-input-rejected':
        throw new Stop(`the device page rejected the user code: ${await bodyText(page)}`, 3);
      case 'device-confirm':
        if (o.action === 'deny') {
          await act('device: Abort', () => page.click('button[type="submit"][form="op.deviceConfirmForm"][name="abort"]'));
          log(`device request aborted: ${await bodyText(page)}`);
          return 0;
        }
        await act('device: Continue', () => page.click('button[type="submit"][form="op.deviceConfirmForm"]:not([name="abort"])'));
        break;
      case 'device-success':
        log('device sign-in confirmed ("Sign-in Success")');
        return 0;
      default:
        if (page.url().startsWith('chrome-error://')) throw new Stop(`navigation failed (browser error page) at ${page.url()}`, 1);
        await page.waitForEvent('load', { timeout: Math.min(left(), 2000) }).catch(() => {});
        if (state === 'other' && repeats > 5) throw new Stop(`unrecognised page at ${page.url()}: ${await bodyText(page)}`, 1);
    }
  }
}

let code = 1;
try {
  code = await run();
} catch (e) {
  code = e instanceof Stop ? e.code : 1;
  log(`FAILED: ${e instanceof Stop ? e.message : e.stack}`);
  if (o.artifacts && page) {
    try {
      fs.mkdirSync(o.artifacts, { recursive: true });
      const base = path.join(o.artifacts, `open-url-${process.pid}`);
      await page.screenshot({ path: `${base}.png`, fullPage: true, timeout: 5000 });
      fs.writeFileSync(`${base}.html`, await page.content());
      log(`artifacts: ${base}.png, ${base}.html`);
    } catch (err) {
      log(`could not save artifacts: ${err.message}`);
    }
  }
} finally {
  if (context) await context.close().catch(() => {});
  fs.rmSync(tmp, { recursive: true, force: true });
}
log(`exit ${code}`);
process.exit(code);
