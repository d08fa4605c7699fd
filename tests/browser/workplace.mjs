// Journeys through the browser workplace with Playwright (playwright-core driving Debian's
// chromium; no browser is downloaded), against the real processes that workplace.sh starts.
// One function per journey; a journey uses fresh browser contexts, so each can run alone
// (WORKPLACE_ONLY=selftest,security) and new pages add a journey without touching the others.
//
// Environment (set by workplace.sh): WORKPLACE (JSON: {a: {url, approver: [name, password],
// reader: [name, password]}, b: {url, approver: [...]}, demo (optional): {url, approver}}), NODE_MODULES (playwright-core and
// axe-core), CHROMIUM, OUT (screenshots).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(process.env.NODE_MODULES + '/');
const { chromium } = require('playwright-core');
const axePath = require.resolve('axe-core/axe.min.js');
const WP = JSON.parse(process.env.WORKPLACE);
const OUT = process.env.OUT;
const WIDTH = 1280, HEIGHT = 900;
const DIMENSIONS = ['datenhoheit', 'technologische_unabhaengigkeit', 'it_kompetenz',
  'offene_standards', 'governance_exit'];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});

/** A fresh context (own cookies) and page, viewport as in axe.mjs; `options` of newContext. */
async function fresh(options = {}) {
  const context = await browser.newContext({ viewport: { width: WIDTH, height: HEIGHT }, ...options });
  const page = await context.newPage();
  return { context, page };
}

/** Logs in on `node` as `who` ('approver' or 'reader') through the log-in form. */
async function logIn(page, node, who = 'approver', path = '/') {
  const [name, password] = WP[node][who];
  await page.goto(WP[node].url + path);
  await page.fill('#name', name);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  await page.waitForLoadState();
  assert.ok(!new URL(page.url()).pathname.startsWith('/login'), `log-in of ${name} failed: ${page.url()}`);
}

/** The CSRF token of the page's forms (the log-out form carries one on every page). */
const csrfOf = page => page.getAttribute('input[name=csrf]', 'value');

/** POSTs a url-encoded form with the page's cookies (the workplace's Content-Security-Policy
 * forbids scripts in the page, so the request comes from Playwright beside it). */
async function post(page, path, fields) {
  const r = await page.request.post(new URL(path, page.url()).href, { form: fields, maxRedirects: 0 });
  return { status: r.status(), text: await r.text() };
}

async function shot(page, name) {
  await page.screenshot({ path: join(OUT, `${name}.png`) });
}

// (a) Log-in: a wrong password first (refused, name kept, the problem announced), then the
// right one, back to the page asked for.
async function login() {
  const { context, page } = await fresh();
  const a = WP.a;
  await page.goto(a.url + '/selftest');
  assert.equal(new URL(page.url()).pathname, '/login', 'a page without session leads to the log-in');
  await page.fill('#name', a.approver[0]);
  await page.fill('#password', 'falsches-Passwort-123');
  const wrong = await Promise.all([page.waitForResponse(r => r.request().method() === 'POST'),
    page.click('button[type=submit]')]).then(([r]) => r);
  assert.equal(wrong.status(), 401);
  assert.match(await page.textContent('[role=alert]'), /Kontoname oder Passwort stimmt nicht/);
  assert.equal(await page.inputValue('#name'), a.approver[0], 'the name is kept');
  assert.equal(await page.getAttribute('#name', 'aria-describedby'), 'login-problem');
  await shot(page, 'login-wrong-de');
  await page.fill('#password', a.approver[1]);
  await page.click('button[type=submit]');
  await page.waitForLoadState();
  assert.equal(new URL(page.url()).pathname, '/selftest', 'after log-in, on to the page asked for');
  assert.match(await page.textContent('header'), new RegExp(a.approver[0]));
  // Log out: the session ends, the page asks for log-in again.
  await page.click('form.logout button');
  await page.waitForLoadState();
  assert.equal(new URL(page.url()).pathname, '/login');
  await page.goto(a.url + '/');
  assert.equal(new URL(page.url()).pathname, '/login', 'logged out');
  await context.close();
}

// (b) The self-test with one answer left out: not saved, the problem named at the statement,
// the other answers kept; then the missing answer chosen: saved, confirmed, in the history.
async function selftest() {
  const { context, page } = await fresh();
  await logIn(page, 'b', 'approver', '/selftest');
  const answers = { datenhoheit: 4, technologische_unabhaengigkeit: 2, it_kompetenz: 3,
    offene_standards: 5, governance_exit: 1 };
  const missing = 'it_kompetenz';
  for (const [d, v] of Object.entries(answers)) if (d !== missing) await page.check(`#${d}-${v}`);
  const first = await Promise.all([page.waitForResponse(r => r.request().method() === 'POST'),
    page.click('button:has-text("Selbsttest speichern")')]).then(([r]) => r);
  assert.equal(first.status(), 422, 'an incomplete self-test is refused');
  await page.waitForLoadState();
  assert.match(await page.textContent('main [role=alert]'), /Nicht gespeichert: 1 Angabe/);
  assert.match(await page.textContent(`#${missing}-error`), /Bitte einen Wert von 1 bis 5 wählen/);
  assert.equal(await page.getAttribute(`#${missing}-1`, 'aria-invalid'), 'true');
  for (const [d, v] of Object.entries(answers)) {
    if (d !== missing) assert.ok(await page.isChecked(`#${d}-${v}`), `answer ${d} kept`);
  }
  await shot(page, 'selftest-error-de');
  await page.check(`#${missing}-${answers[missing]}`);
  await page.click('button:has-text("Selbsttest speichern")');
  await page.waitForLoadState();
  assert.equal(new URL(page.url()).pathname, '/selftest');
  const total = Object.values(answers).reduce((s, v) => s + v, 0);
  assert.match(await page.textContent('[role=status]'), new RegExp(`Selbsttest gespeichert. Summe ${total} von 25`));
  assert.equal(await page.locator('svg[role=img] rect').count(), 1, 'one bar in the history chart');
  assert.equal(await page.locator('main table tbody tr').count(), 1, 'one row in the history table');
  for (const [d, v] of Object.entries(answers)) assert.ok(await page.isChecked(`#${d}-${v}`), `${d} shows the saved value`);
  await shot(page, 'selftest-saved-de');
  await page.screenshot({ path: join(OUT, 'selftest-saved-full-de.png'), fullPage: true });
  // The confirmation is shown once.
  await page.reload();
  assert.equal(await page.locator('.flash').count(), 0, 'the confirmation is shown once');
  await context.close();
}

// (c) The language switch keeps the page, and the language stays chosen for the next pages.
async function language() {
  const { context, page } = await fresh();
  await logIn(page, 'a', 'approver', '/selftest');
  assert.equal(await page.getAttribute('html', 'lang'), 'de');
  await page.click('nav.lang a');
  await page.waitForLoadState();
  assert.equal(new URL(page.url()).pathname, '/selftest', 'English keeps the page');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.equal(await page.textContent('h1'), 'Self-test');
  await page.goto(WP.a.url + '/');
  assert.equal(await page.getAttribute('html', 'lang'), 'en', 'the language is remembered');
  await page.click('nav.lang a');
  await page.waitForLoadState();
  assert.equal(new URL(page.url()).pathname, '/');
  assert.equal(await page.getAttribute('html', 'lang'), 'de');
  // The log-in page's switch keeps where to go after log-in.
  const anon = await fresh();
  await anon.page.goto(WP.a.url + '/selftest');
  await anon.page.click('a[hreflang=en]');
  await anon.page.waitForLoadState();
  assert.equal(await anon.page.getAttribute('html', 'lang'), 'en');
  assert.equal(await anon.page.inputValue('input[name=next]'), '/selftest');
  await anon.context.close();
  await context.close();
}

// (d) What must be refused: forms without or with a wrong CSRF token (nothing changes), a
// reader saving the self-test, and the session of node A presented to node B.
async function security() {
  const all3 = Object.fromEntries(DIMENSIONS.map(d => [d, '3']));
  // Log-in form without its token.
  {
    const { context, page } = await fresh();
    await page.goto(WP.a.url + '/login');
    const r = await post(page, '/login', { name: WP.a.approver[0], password: WP.a.approver[1] });
    assert.equal(r.status, 403, 'log-in without the form token');
    await context.close();
  }
  // A signed-in approver's self-test without, and with a wrong, token.
  const { context, page } = await fresh();
  await logIn(page, 'a', 'approver', '/selftest');
  const rows = await page.locator('main table tbody tr').count();
  const missing = await post(page, '/selftest', all3);
  assert.equal(missing.status, 403, 'self-test without CSRF token');
  assert.match(missing.text, /CSRF/);
  const wrong = await post(page, '/selftest', { ...all3, csrf: '0'.repeat(64) });
  assert.equal(wrong.status, 403, 'self-test with a wrong CSRF token');
  await page.reload();
  assert.equal(await page.locator('main table tbody tr').count(), rows, 'nothing was saved');
  // With the right token the same request is accepted: the refusals above were the token's.
  const right = await post(page, '/selftest', { ...all3, csrf: await csrfOf(page) });
  assert.equal(right.status, 303, 'self-test with the session\'s token');
  // A reader sees the self-test but may not save it, even with a valid token.
  {
    const r = await fresh();
    await logIn(r.page, 'a', 'reader', '/selftest');
    assert.equal(await r.page.locator('button:has-text("Selbsttest speichern")').count(), 0, 'no form for a reader');
    assert.match(await r.page.textContent('main'), /darf den Selbsttest lesen, aber nicht ändern/);
    await shot(r.page, 'selftest-reader-de');
    const res = await post(r.page, '/selftest', { ...all3, csrf: await csrfOf(r.page) });
    assert.equal(res.status, 403, 'a reader cannot save the self-test');
    assert.match(res.text, /Nicht erlaubt/);
    await r.context.close();
  }
  // Node A's session token under node B's cookie name: B does not know it.
  {
    const b = await fresh();
    await logIn(b.page, 'b');
    const bCookie = (await b.context.cookies(WP.b.url)).find(c => c.name.startsWith('sovbench_') && c.name !== 'sovbench_lang');
    const aCookie = (await context.cookies(WP.a.url)).find(c => c.name.startsWith('sovbench_') && c.name !== 'sovbench_lang');
    assert.ok(aCookie && bCookie, 'both nodes set a session cookie');
    assert.notEqual(aCookie.name, bCookie.name, 'each node names its session cookie after its key');
    const x = await fresh();
    await x.context.addCookies([{ name: bCookie.name, value: aCookie.value, url: WP.b.url },
      { name: aCookie.name, value: aCookie.value, url: WP.b.url }]);
    await x.page.goto(WP.b.url + '/selftest');
    assert.equal(new URL(x.page.url()).pathname, '/login', 'node A\'s session is useless on node B');
    // While A's own session still works on A.
    await page.goto(WP.a.url + '/selftest');
    assert.equal(new URL(page.url()).pathname, '/selftest');
    await x.context.close();
    await b.context.close();
  }
  await context.close();
}

// (e) axe-core on every page type of the workplace in German and English (fails on a serious
// or critical violation), with a screenshot of each. Pages waiting for other branches
// (/inventory, /procurement, /paths, /rounds, /comparison, /privacy, /peers, /people) join
// this list when they are merged.
const PAGES = [
  ['login', '/login', false],
  ['start', '/', true],
  ['selftest', '/selftest', true],
  ['not-found', '/gibt-es-nicht', true],
];

async function accessibility() {
  // axe-core is injected as a script, which the workplace's Content-Security-Policy refuses:
  // these two contexts bypass it (the journeys above run with it).
  const anon = await fresh({ bypassCSP: true });
  const { context, page } = await fresh({ bypassCSP: true });
  await logIn(page, 'a');
  let bad = 0;
  for (const [type, path, signedIn] of PAGES) {
    for (const lang of ['de', 'en']) {
      const p = signedIn ? page : anon.page;
      const res = await p.goto(`${WP.a.url}${path}?lang=${lang}`);
      if (type !== 'not-found') assert.equal(res.status(), 200, `${path}: HTTP ${res.status()}`);
      else assert.equal(res.status(), 404);
      assert.equal(await p.getAttribute('html', 'lang'), lang, `${path}: <html lang>`);
      await p.addScriptTag({ path: axePath });
      const violations = await p.evaluate(() => axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      }).then(r => r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,
        target: v.nodes[0] && v.nodes[0].target.join(' ') }))));
      const serious = violations.filter(v => v.impact === 'serious' || v.impact === 'critical');
      for (const v of violations) console.log(`    ${path} (${lang}): ${v.impact} ${v.id} (${v.nodes}×, ${v.target}): ${v.help}`);
      console.log(`  ${serious.length ? 'FAIL' : 'ok  '} axe ${type} (${lang}): ${violations.length} violations, ${serious.length} serious or critical`);
      bad += serious.length;
      await shot(p, `${type}-${lang}`);
    }
  }
  await anon.context.close();
  await context.close();
  assert.equal(bad, 0, 'serious or critical accessibility violations');
}

// The demo's workplace (run.sh passes it when `sovbench-demo --serve` runs): its administration
// took part in the published round, so the start page names the publication, and the
// self-test's history holds the simulated self-test. The README's screenshot comes from here.
async function demo() {
  if (!WP.demo) { console.log('  (no demo workplace given: skipped)'); return; }
  const { context, page } = await fresh();
  await logIn(page, 'demo', 'approver', '/');
  assert.match(await page.textContent('main'), /Letzte Veröffentlichung: Runde demo-/);
  await shot(page, 'demo-start-de');
  // docs/img/workplace-start.png: the top of the start page (self-test, comparison, budget).
  await page.screenshot({ path: join(OUT, 'readme-workplace-start.png'), clip: { x: 0, y: 0, width: WIDTH, height: 520 } });
  await page.goto(WP.demo.url + '/selftest');
  assert.ok(await page.locator('svg[role=img] rect').count() >= 1, 'the simulated self-test in the history');
  await context.close();
}

const JOURNEYS = { login, selftest, language, security, accessibility, demo };
const only = (process.env.WORKPLACE_ONLY || '').split(',').filter(Boolean);
let failed = 0, ran = 0;
for (const [name, journey] of Object.entries(JOURNEYS)) {
  if (only.length && !only.includes(name)) continue;
  const t = Date.now();
  ran++;
  try {
    await journey();
    console.log(`ok   ${name} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  } catch (e) {
    failed++;
    console.error(`FAIL ${name}: ${e.message}`);
  }
}
await browser.close();
console.log(`workplace journeys: ${ran - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
