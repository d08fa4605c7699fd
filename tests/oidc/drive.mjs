// Drives log-ins through the identity provider as a browser would (tests/oidc/run.sh): follows
// every redirect by hand with one cookie jar per person, fills in the provider's development
// log-in and consent forms, and checks what the workplace answers.
//
// Usage: node drive.mjs WORKPLACE_URL
// Prints "N passed, N failed" and exits non-zero on any failure.
import assert from 'node:assert/strict';

const workplace = process.argv[2].replace(/\/$/, '');
const started = Date.now();

/** A person with a cookie jar (cookies by name, as a browser sends them to 127.0.0.1). */
class Browser {
  constructor() { this.jar = new Map(); }
  header() { return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; '); }
  keep(res) {
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      const gone = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '';
      if (gone) this.jar.delete(name); else this.jar.set(name, value);
    }
  }
  async request(url, init = {}) {
    const res = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers ?? {}), cookie: this.header() },
    });
    this.keep(res);
    const body = await res.text();
    return { status: res.status, location: res.headers.get('location'), body, url };
  }
  get(url) { return this.request(url); }
  post(url, form) {
    return this.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  }
}

const absolute = (base, loc) => new URL(loc, base).toString();
const formAction = (html) => {
  const m = html.match(/<form[^>]*action="([^"]+)"/);
  assert.ok(m, `no form in: ${html.slice(0, 300)}`);
  return m[1].replace(/&amp;/g, '&');
};

/**
 * Logs in as `login` at the provider, starting from the workplace's log-in page; stops at the
 * redirect back to the workplace and returns its URL (the callback, not yet called).
 */
async function atProvider(b, login, next = '/selftest') {
  const page = await b.get(`${workplace}/login?next=${encodeURIComponent(next)}`);
  assert.equal(page.status, 200);
  const m = page.body.match(/id="oidc-login" href="([^"]+)"/);
  assert.ok(m, 'the log-in page shows the button of the identity provider');
  assert.match(page.body, /Anmelden über Test-Anbieter/);
  let r = await b.get(absolute(workplace, m[1].replace(/&amp;/g, '&')));
  assert.equal(r.status, 303, `GET /oidc/login: ${r.status} ${r.body}`);
  assert.ok(b.jar.has('sovbench_oidc'), 'the pending log-in has its cookie');
  let url = absolute(workplace, r.location);
  for (let hops = 0; hops < 20; hops += 1) {
    if (url.startsWith(`${workplace}/`)) return url;
    r = await b.get(url);
    if (r.status === 200) {
      const action = absolute(url, formAction(r.body));
      const form = r.body.includes('name="login"')
        ? { prompt: 'login', login, password: 'egal' }
        : { prompt: 'consent' };
      r = await b.post(action, form);
    }
    assert.ok([302, 303].includes(r.status), `${url}: ${r.status} ${r.body.slice(0, 300)}`);
    url = absolute(url, r.location);
  }
  throw new Error('too many redirects at the provider');
}

const results = [];
async function check(name, fn) {
  try {
    await fn();
    results.push([name, true]);
    console.log(`ok   ${name}`);
  } catch (e) {
    results.push([name, false]);
    console.log(`FAIL ${name}\n     ${e.stack ?? e}`);
  }
}

await check('anna (group sovbench-approver) logs in and lands on the page she asked for', async () => {
  const b = new Browser();
  const back = await atProvider(b, 'anna');
  assert.match(back, /\/oidc\/callback\?.*code=/);
  const r = await b.get(back);
  assert.equal(r.status, 303, `callback: ${r.status} ${r.body}`);
  assert.match(r.location, /^\/selftest/);
  assert.ok(!b.jar.has('sovbench_oidc'), 'the pending log-in cookie is gone');
  const page = await b.get(absolute(workplace, r.location));
  assert.equal(page.status, 200, page.body);
  assert.match(page.body, /anna/);
  assert.match(page.body, /Freigabe/, 'role approver');
  // The answer cannot be used a second time.
  const again = await b.get(back);
  assert.equal(again.status, 400);
});

await check('erik (Keycloak group path /sovbench-editor) logs in as editor', async () => {
  const b = new Browser();
  const r = await b.get(await atProvider(b, 'erik', '/'));
  assert.equal(r.status, 303, r.body);
  const page = await b.get(absolute(workplace, r.location));
  assert.equal(page.status, 200);
  assert.match(page.body, /erik/);
  assert.match(page.body, /Bearbeitung/, 'role editor');
  // An editor may not manage people.
  assert.equal((await b.get(`${workplace}/people`)).status, 403);
});

await check('bob (no group with a role) is refused with 403', async () => {
  const b = new Browser();
  const r = await b.get(await atProvider(b, 'bob'));
  assert.equal(r.status, 403, r.body);
  assert.match(r.body, /Ihr Konto beim Identitätsanbieter hat keine Rolle für diese Verwaltung/);
  const home = await b.get(`${workplace}/`);
  assert.equal(home.status, 303, 'no session');
});

await check('a tampered state is refused, and so is an answer without the browser\'s cookie', async () => {
  const b = new Browser();
  const back = new URL(await atProvider(b, 'anna'));
  const state = back.searchParams.get('state');
  back.searchParams.set('state', `${state}x`);
  const tampered = await b.get(back.toString());
  assert.equal(tampered.status, 400, tampered.body);
  assert.match(tampered.body, /abgelaufen|expired/);
  // The right state from another browser (no pending log-in cookie): refused too.
  back.searchParams.set('state', state);
  const other = new Browser();
  const stolen = await other.get(back.toString());
  assert.equal(stolen.status, 400, stolen.body);
  assert.equal((await other.get(`${workplace}/`)).status, 303, 'no session');
});

await check('local accounts keep working beside the provider', async () => {
  const b = new Browser();
  const page = await b.get(`${workplace}/login`);
  const csrf = page.body.match(/name="csrf" value="([^"]+)"/)[1];
  const r = await b.post(`${workplace}/login`, {
    csrf, next: '/', name: 'lokal', password: process.env.LOCAL_PASSWORD,
  });
  assert.equal(r.status, 303, r.body);
  assert.equal((await b.get(`${workplace}/`)).status, 200);
});

const passed = results.filter(([, ok]) => ok).length;
const failed = results.length - passed;
console.log(`oidc: ${passed} passed, ${failed} failed (${((Date.now() - started) / 1000).toFixed(1)} s)`);
process.exit(failed ? 1 : 0);
