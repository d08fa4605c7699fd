// Journeys through the browser workplace with Playwright (playwright-core driving Debian's
// chromium; no browser is downloaded), against the real processes that workplace.sh starts.
// One function per journey; a journey uses fresh browser contexts, so each can run alone
// (WORKPLACE_ONLY=selftest,security) and new pages add a journey without touching the others.
//
// Some journeys build on others, in the order of JOURNEYS: accessibility looks at the system,
// the publication and the paths that inventory, round and peers leave behind.
//
// Environment (set by workplace.sh): WORKPLACE (JSON: {a: {url, approver: [name, password],
// reader: [name, password]}, b: {url, approver: [...]}, demo (optional): {url, approver},
// aggregator: [binary, args...] for the operator's commands, round: the open round's id, work: a
// temporary folder, participants (optional, default 3): how many take part in the round, hosted
// (optional): the entry page of a hosted node whose administrations a and b are (their urls end
// in /t/<id>; the journeys compare paths without that prefix, pathOf)}), NODE_MODULES
// (playwright-core and axe-core), CHROMIUM, OUT (screenshots).
// Run from the repository's root (docs/samples/inventar.csv).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const require = createRequire(process.env.NODE_MODULES + '/');
const { chromium } = require('playwright-core');
const axePath = require.resolve('axe-core/axe.min.js');
const WP = JSON.parse(process.env.WORKPLACE);
const OUT = process.env.OUT;
const WIDTH = 1280, HEIGHT = 900;
const DIMENSIONS = ['datenhoheit', 'technologische_unabhaengigkeit', 'it_kompetenz',
  'offene_standards', 'governance_exit'];
const SAMPLE = resolve('docs/samples/inventar.csv');
const BBB = 'path.videokonferenzen.bigbluebutton';

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});

/** A fresh context (own cookies) and page, viewport as in axe.mjs; `options` of newContext. */
async function fresh(options = {}) {
  const context = await browser.newContext({ viewport: { width: WIDTH, height: HEIGHT }, ...options });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  return { context, page };
}

/** The path prefix of `node`'s workplace: `/t/<id>` on a hosted node, '' on a node of its own. */
const prefix = node => new URL(WP[node].url).pathname.replace(/\/$/, '');

/** The path of `page` inside `node`'s workplace: without the administration's prefix on a
 * hosted node (`/t/<id>`), so the same journeys run on a node of its own and on a hosted one;
 * a page outside the prefix is named as such (a link that escaped it). */
function pathOf(node, page) {
  const base = prefix(node);
  const path = new URL(page.url()).pathname;
  if (!base) return path;
  return path === base || path.startsWith(base + '/') ? path.slice(base.length) || '/' : `outside ${base}: ${path}`;
}

/** Logs in on `node` as `who` ('approver' or 'reader') through the log-in form. */
async function logIn(page, node, who = 'approver', path = '/') {
  const [name, password] = WP[node][who];
  await page.goto(WP[node].url + path);
  await page.fill('#name', name);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  await page.waitForLoadState();
  assert.ok(!pathOf(node, page).startsWith('/login') && !pathOf(node, page).startsWith('outside'),
    `log-in of ${name} failed: ${page.url()}`);
}

/** The CSRF token of the page's forms (the log-out form carries one on every page). */
const csrfOf = page => page.getAttribute('input[name=csrf]', 'value');

/** POSTs a url-encoded form to `path` of `node`'s workplace with the page's cookies (the
 * workplace's Content-Security-Policy forbids scripts in the page, so the request comes from
 * Playwright beside it). */
async function post(page, node, path, fields) {
  const r = await page.request.post(WP[node].url + path, { form: fields, maxRedirects: 0 });
  return { status: r.status(), text: await r.text(), location: r.headers().location };
}

async function shot(page, name) {
  await page.screenshot({ path: join(OUT, `${name}.png`) });
}

/** Clicks `target` (a locator) and returns the response to the POST it sends. */
async function submit(page, target) {
  const [r] = await Promise.all([page.waitForResponse(r => r.request().method() === 'POST'), target.click()]);
  await page.waitForLoadState();
  return r;
}

/** The sample inventory with one bad line (line 5 of the file: a relevance that does not exist),
 * written to the temporary folder. */
function brokenInventory() {
  const lines = readFileSync(SAMPLE, 'utf8').split('\n');
  assert.match(lines[4], /^E-Mail und Kalender,.*,kritisch,/);
  lines[4] = lines[4].replace(',kritisch,', ',sehr wichtig,');
  const file = join(WP.work, 'inventar-mit-fehler.csv');
  writeFileSync(file, lines.join('\n'));
  return file;
}

/** Saves a self-test (every answer 3) on the self-test page if the node has none yet (the
 * journey selftest gives B its first one; a round needs one). */
async function ensureSelftest(page, node) {
  await page.goto(WP[node].url + '/selftest');
  if (await page.locator('main table tbody tr').count() > 0) return;
  for (const d of DIMENSIONS) await page.check(`#${d}-3`);
  await page.getByRole('button', { name: 'Selbsttest speichern' }).click();
  await page.waitForLoadState();
  assert.match(await page.textContent('[role=status]'), /Selbsttest gespeichert/);
}

/** An operator's command of the aggregator (`sovbench-aggregator --data DIR ...`). */
function operator(...args) {
  const [bin, ...pre] = WP.aggregator;
  return execFileSync(bin, [...pre, ...args], { encoding: 'utf8', env: { ...process.env, SOVBENCH_LANG: 'en' } });
}

// (a) Log-in: a wrong password first (refused, name kept, the problem announced), then the
// right one, back to the page asked for.
async function login() {
  const { context, page } = await fresh();
  const a = WP.a;
  await page.goto(a.url + '/selftest');
  assert.equal(pathOf('a', page), '/login', 'a page without session leads to the log-in');
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
  assert.equal(pathOf('a', page), '/selftest', 'after log-in, on to the page asked for');
  assert.match(await page.textContent('header'), new RegExp(a.approver[0]));
  // Log out: the session ends, the page asks for log-in again.
  await page.click('form.logout button');
  await page.waitForLoadState();
  assert.equal(pathOf('a', page), '/login');
  await page.goto(a.url + '/');
  assert.equal(pathOf('a', page), '/login', 'logged out');
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
  assert.equal(pathOf('b', page), '/selftest');
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
  assert.equal(pathOf('a', page), '/selftest', 'English keeps the page');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.equal(await page.textContent('h1'), 'Self-test');
  await page.goto(WP.a.url + '/');
  assert.equal(await page.getAttribute('html', 'lang'), 'en', 'the language is remembered');
  await page.click('nav.lang a');
  await page.waitForLoadState();
  assert.equal(pathOf('a', page), '/');
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
    const r = await post(page, 'a', '/login', { name: WP.a.approver[0], password: WP.a.approver[1] });
    assert.equal(r.status, 403, 'log-in without the form token');
    await context.close();
  }
  // A signed-in approver's self-test without, and with a wrong, token.
  const { context, page } = await fresh();
  await logIn(page, 'a', 'approver', '/selftest');
  const rows = await page.locator('main table tbody tr').count();
  const missing = await post(page, 'a', '/selftest', all3);
  assert.equal(missing.status, 403, 'self-test without CSRF token');
  assert.match(missing.text, /CSRF/);
  const wrong = await post(page, 'a', '/selftest', { ...all3, csrf: '0'.repeat(64) });
  assert.equal(wrong.status, 403, 'self-test with a wrong CSRF token');
  await page.reload();
  assert.equal(await page.locator('main table tbody tr').count(), rows, 'nothing was saved');
  // With the right token the same request is accepted: the refusals above were the token's.
  const right = await post(page, 'a', '/selftest', { ...all3, csrf: await csrfOf(page) });
  assert.equal(right.status, 303, 'self-test with the session\'s token');
  // A reader sees the self-test but may not save it, even with a valid token.
  {
    const r = await fresh();
    await logIn(r.page, 'a', 'reader', '/selftest');
    assert.equal(await r.page.locator('button:has-text("Selbsttest speichern")').count(), 0, 'no form for a reader');
    assert.match(await r.page.textContent('main'), /darf den Selbsttest lesen, aber nicht ändern/);
    await shot(r.page, 'selftest-reader-de');
    const res = await post(r.page, 'a', '/selftest', { ...all3, csrf: await csrfOf(r.page) });
    assert.equal(res.status, 403, 'a reader cannot save the self-test');
    assert.match(res.text, /Nicht erlaubt/);
    await r.context.close();
  }
  // Node A's session token under node B's cookie name: B does not know it.
  {
    const b = await fresh();
    await logIn(b.page, 'b');
    const bCookie = (await b.context.cookies(WP.b.url + '/')).find(c => c.name.startsWith('sovbench_') && c.name !== 'sovbench_lang');
    const aCookie = (await context.cookies(WP.a.url + '/')).find(c => c.name.startsWith('sovbench_') && c.name !== 'sovbench_lang');
    assert.ok(aCookie && bCookie, 'both nodes set a session cookie');
    assert.notEqual(aCookie.name, bCookie.name, 'each node names its session cookie after its key');
    const x = await fresh();
    await x.context.addCookies([{ name: bCookie.name, value: aCookie.value, url: WP.b.url + '/' },
      { name: aCookie.name, value: aCookie.value, url: WP.b.url + '/' }]);
    await x.page.goto(WP.b.url + '/selftest');
    assert.equal(pathOf('b', x.page), '/login', 'node A\'s session is useless on node B');
    // While A's own session still works on A.
    await page.goto(WP.a.url + '/selftest');
    assert.equal(pathOf('a', page), '/selftest');
    await x.context.close();
    await b.context.close();
  }
  await context.close();
}

// (e) The inventory: the sample file with one bad line is refused with the line named and
// nothing stored; the fixed file is previewed and imported; then one system gets an exit scenario.
async function inventory() {
  const { context, page } = await fresh();
  await logIn(page, 'a', 'approver', '/inventory');
  const file = page.getByLabel('Inventar-Datei hochladen');
  const preview = page.getByRole('button', { name: 'Vorschau anzeigen' });
  await file.setInputFiles(brokenInventory());
  assert.equal((await submit(page, preview)).status(), 422, 'a file with an error is refused');
  assert.match(await page.textContent('main [role=alert], main .problem'), /1 Fehler\. Nichts wurde gespeichert/);
  const row = page.locator('main table tbody tr', { hasText: 'sehr wichtig' });
  assert.equal(await row.count(), 1, 'the bad value is named');
  assert.equal((await row.locator('td.num').first().textContent()).trim(), '5', `in line 5: ${await row.textContent()}`);
  assert.equal(await page.getByRole('button', { name: /Systeme importieren/ }).count(), 0, 'no import');
  await shot(page, 'inventory-upload-errors-de');
  await page.goto(WP.a.url + '/inventory');
  assert.match(await page.textContent('main'), /Das Inventar ist leer/, 'nothing was stored');

  await file.setInputFiles(SAMPLE);
  assert.equal((await submit(page, preview)).status(), 200);
  assert.match(await page.textContent('main [role=status]'), /ist fehlerfrei und enthält 60 Systeme. Noch ist nichts gespeichert/);
  await shot(page, 'inventory-preview-de');
  await page.getByRole('button', { name: '60 Systeme importieren' }).click();
  await page.waitForLoadState();
  assert.equal(pathOf('a', page), '/inventory');
  assert.match(await page.textContent('main'), /60 von 60 Systemen angezeigt/);
  assert.ok(await page.getByRole('rowheader', { name: 'E-Mail und Kalender' }).count() >= 1, 'the table lists the systems');
  await shot(page, 'inventory-de');

  // One system, its exit scenario.
  await page.getByRole('link', { name: 'Tabellenkalkulation', exact: true }).first().click();
  await page.waitForLoadState();
  assert.equal(await page.textContent('h1'), 'System: Tabellenkalkulation');
  assert.match(await page.textContent('main'), /Für dieses System gibt es noch kein Exit-Szenario/);
  await page.getByLabel('Alternativen', { exact: true }).fill('LibreOffice, OnlyOffice');
  await page.getByLabel('Wechseldauer in Monaten').fill('12');
  await page.getByLabel('Exportformate', { exact: true }).fill('ODF, CSV');
  await page.getByLabel('Kosten je Arbeitsplatz in EUR').fill('5000');
  await page.locator('form:has(#exit-months)').getByLabel('Status').selectOption('abgestimmt');
  await page.getByRole('button', { name: 'Exit-Szenario speichern' }).click();
  await page.waitForLoadState();
  const main = await page.textContent('main');
  assert.match(main, /Status: abgestimmt/);
  assert.match(main, /3050000 EUR \(610 × 5000 EUR\)/);
  await shot(page, 'inventory-system-de');
  await context.close();
}

// (f) The round: the approver of A sees the round, its mode and its cost, confirms and sends
// (recorded, delivered, receipted); the reader sees no form and a forged POST is refused. B
// sends too, node C did from the command line; the operator closes and publishes; A fetches the
// publication: the chart, the cohorts, the report to download.
async function round() {
  const r1 = WP.round;
  // The reader: the round, but no form; a forged request with her valid token is refused.
  {
    const r = await fresh();
    await logIn(r.page, 'a', 'reader', '/rounds');
    assert.match(await r.page.textContent('main'), new RegExp(`${r1}[\\s\\S]*direkt \\(lokal verrauscht\\)`));
    assert.equal(await r.page.locator(`form[action^="${prefix('a')}/rounds/send"]`).count(), 0, 'no send form for a reader');
    assert.match(await r.page.textContent('main'), /Senden darf nur die Rolle Freigabe/);
    const forged = await post(r.page, 'a', '/rounds/send', { round: r1, confirm: 'yes', csrf: await csrfOf(r.page) });
    assert.equal(forged.status, 403, 'a reader cannot send');
    await r.context.close();
  }
  const { context, page } = await fresh();
  await logIn(page, 'a', 'approver');
  await ensureSelftest(page, 'a');
  await page.goto(WP.a.url + '/rounds');
  let main = await page.textContent('main');
  assert.match(main, new RegExp(r1));
  assert.match(main, /direkt \(lokal verrauscht\)/, 'the mode');
  assert.match(main, /mit OpenDP verrauscht/);
  assert.match(main, /ε 1,25/, 'the cost');
  await shot(page, 'rounds-de');
  const send = page.getByRole('button', { name: `Werte jetzt an Runde ${r1} senden` });
  // Without the confirmation nothing is sent.
  assert.equal((await submit(page, send)).status(), 422);
  assert.match(await page.textContent('#send-problem'), /Bitte bestätigen Sie/);
  await page.getByLabel(`Ich gebe die Werte dieser Verwaltung für Runde ${r1} frei`).check();
  assert.equal((await submit(page, send)).status(), 303);
  assert.equal(pathOf('a', page), '/rounds');
  main = await page.textContent('main');
  assert.match(main, /Werte aufgezeichnet, gesendet und vom Aggregator quittiert/);
  assert.match(main, /zugestellt, Quittung erhalten/);
  assert.match(main, /Der Postausgang ist leer/);
  assert.equal(await send.count(), 0, 'sent once');
  await shot(page, 'rounds-sent-de');
  // B sends too.
  {
    const b = await fresh();
    await logIn(b.page, 'b', 'approver');
    await ensureSelftest(b.page, 'b');
    await b.page.goto(WP.b.url + '/rounds');
    await b.page.getByLabel(`Ich gebe die Werte dieser Verwaltung für Runde ${r1} frei`).check();
    await b.page.getByRole('button', { name: `Werte jetzt an Runde ${r1} senden` }).click();
    await b.page.waitForLoadState();
    assert.match(await b.page.textContent('main'), /zugestellt, Quittung erhalten/);
    await b.context.close();
  }
  // The operator closes the round and publishes (A, B and C in the cohorts, k = 2).
  operator('round', 'close', r1);
  operator('publish', r1);
  await page.goto(WP.a.url + '/comparison');
  await page.getByRole('button', { name: 'Neueste Veröffentlichung beim Aggregator abrufen' }).click();
  await page.waitForLoadState();
  assert.match(await page.textContent('main'), new RegExp(`Veröffentlichung der Runde ${r1} abgerufen und geprüft`));
  assert.ok(await page.locator('main svg[role=img]').count() >= 1, 'a chart');
  main = await page.textContent('main');
  assert.match(main, /alle Verwaltungen/, 'the cohort of all');
  assert.match(main, /Gemeinde/, 'the cohort of the kind');
  assert.match(main, new RegExp(`${WP.participants ?? 3} Teilnehmende`));
  await shot(page, 'comparison-de');
  const [download] = await Promise.all([page.waitForEvent('download'),
    page.getByRole('link', { name: /Souveränitätsbericht \(HTML/ }).click()]);
  assert.equal(download.suggestedFilename(), 'souveraenitaetsbericht.html');
  const report = readFileSync(await download.path(), 'utf8');
  assert.match(report, /^<!DOCTYPE html>/i);
  assert.match(report, new RegExp(r1));
  await context.close();
}

// (g) Peers: A and B record the same migration path (Teams → BigBlueButton; A plans it, B is
// rolling it out) and offer it; A sees B among the matches and asks for contact; B accepts; both
// then see the other's contact card (double opt-in). Every load of /peers synchronises.
async function peers() {
  // The contact's address names the account, so that cards of other nodes offering the same path
  // (on a hosted node: those of the journey on the nodes of their own) cannot stand in.
  const contact = who => `kontakt-${WP[who].approver[0]}@verwaltung.example`;
  const a = await fresh();
  const b = await fresh();
  for (const [who, { page }, stage] of [['a', a, 'geplant'], ['b', b, 'rollout']]) {
    await logIn(page, who, 'approver', '/paths');
    const form = page.locator(`form[action^="${prefix(who)}/paths/add"]`);
    await form.getByLabel('Kategorie').selectOption('videokonferenzen');
    await form.getByLabel('Von Produkt').fill('Microsoft Teams');
    await form.getByLabel('Zu Produkt').fill('BigBlueButton');
    await form.getByLabel('Stufe').selectOption(stage);
    await form.getByLabel('Betroffene Arbeitsplätze').fill('120');
    await form.getByRole('button', { name: 'Migrationspfad speichern' }).click();
    await page.waitForLoadState();
    assert.match(await page.textContent('main'), /Microsoft Teams → BigBlueButton/);
    if (who === 'a') await shot(page, 'paths-de');
    await page.goto(WP[who].url + '/peers');
    const offer = page.locator(`form[action^="${prefix(who)}/peers/offer"]`).filter({ has: page.locator(`input[value="${BBB}"]`) });
    await offer.getByLabel('Kontaktperson oder Funktion').fill(`Digitallotse ${who}`);
    await offer.getByLabel('E-Mail', { exact: true }).fill(contact(who));
    await offer.getByRole('button', { name: 'Auffindbar werden (anbieten)' }).click();
    await page.waitForLoadState();
    assert.match(await page.textContent('main'), /Angeboten:/);
  }
  // A sees B and asks.
  await a.page.goto(WP.a.url + '/peers');
  assert.match(await a.page.textContent('main'), /derselbe Pfad/);
  await shot(a.page, 'peers-match-de');
  await a.page.getByRole('button', { name: /Kontakt anfragen/ }).first().click();
  await a.page.waitForLoadState();
  assert.match(await a.page.textContent('main'), /angefragt/);
  // B sees the request, without A's card, and accepts.
  await b.page.goto(WP.b.url + '/peers');
  let main = await b.page.textContent('main');
  assert.match(main, /Eingehende Anfragen/);
  assert.ok(!main.includes(contact('a')), 'no card before the yes');
  await b.page.getByRole('button', { name: /^Annehmen/ }).first().click();
  await b.page.waitForLoadState();
  assert.match(await b.page.textContent('main'), /Angenommen:/);
  // Both see the other's card.
  await a.page.goto(WP.a.url + '/peers');
  main = await a.page.textContent('main');
  assert.match(main, /Erhaltene Kontaktkarten/);
  assert.ok(main.includes(contact('b')), `b's card on a's page: ${main}`);
  await shot(a.page, 'peers-card-de');
  await b.page.goto(WP.b.url + '/peers');
  assert.ok((await b.page.textContent('main')).includes(contact('a')), 'a\'s card on b\'s page');
  await a.context.close();
  await b.context.close();
}

// (h) axe-core on every page type of the workplace in German and English (fails on a serious
// or critical violation), with a screenshot of each. A page is a path, or a function that gets
// there by filling in a form (an error state); `who` is the account (none: signed out) on node A.
// The system, the publication and the paths come from the journeys inventory, round and peers.
const PAGES = [
  // [type, path (of node A's workplace, or a URL) or function(page, lang), who, HTTP status]
  ['login', '/login', null, 200],
  ['start', '/', 'approver', 200],
  ['selftest', '/selftest', 'approver', 200],
  ['selftest-error', incompleteSelftest, 'approver', 422],
  ['inventory', '/inventory', 'approver', 200],
  ['inventory-system', '/inventory/system?name=Tabellenkalkulation', 'approver', 200],
  ['inventory-upload-errors', uploadBroken, 'approver', 422],
  ['procurement', '/procurement', 'approver', 200],
  ['paths', '/paths', 'approver', 200],
  ['rounds', '/rounds', 'approver', 200],
  ['comparison', '/comparison', 'approver', 200],
  ['privacy', '/privacy', 'approver', 200],
  ['peers', '/peers', 'approver', 200],
  ['people', '/people', 'approver', 200],
  ['not-found', '/gibt-es-nicht', 'approver', 404],
  ['forbidden', '/people', 'reader', 403],
];
// On a hosted node: its entry page, an unknown administration, and some of a tenant's pages
// (the pages are the same code as above; what differs is the prefix).
const HOSTED_PAGES = WP.hosted && [
  ['hosted-entry', `${WP.hosted}/`, null, 200],
  ['hosted-unknown', `${WP.hosted}/t/gibt-es-nicht/`, null, 404],
  ...PAGES.filter(([type]) => ['login', 'start', 'peers', 'not-found'].includes(type)),
];

/** The self-test sent with one answer missing. */
async function incompleteSelftest(page, lang) {
  await page.goto(`${WP.a.url}/selftest?lang=${lang}`);
  for (const d of DIMENSIONS.slice(1)) await page.check(`#${d}-3`);
  // The form shows the last self-test's answers; a radio group cannot be emptied by a click.
  await page.evaluate(() => { for (const i of document.querySelectorAll('input[name=datenhoheit]')) i.checked = false; });
  return submit(page, page.locator('form:has(#datenhoheit-1) button[type=submit]'));
}

/** The inventory upload of a file with an error. */
async function uploadBroken(page, lang) {
  await page.goto(`${WP.a.url}/inventory?lang=${lang}`);
  await page.setInputFiles('#inv-file', brokenInventory());
  return submit(page, page.locator('form:has(#inv-file) button[type=submit]'));
}

async function accessibility() {
  // axe-core is injected as a script, which the workplace's Content-Security-Policy refuses:
  // these contexts bypass it (the journeys above run with it).
  const pages = { null: await fresh({ bypassCSP: true }) };
  for (const who of ['approver', 'reader']) {
    pages[who] = await fresh({ bypassCSP: true });
    await logIn(pages[who].page, 'a', who);
  }
  let bad = 0;
  for (const [type, path, who, status] of HOSTED_PAGES || PAGES) {
    for (const lang of ['de', 'en']) {
      const p = pages[who].page;
      const url = typeof path === 'string' && (path.startsWith('http') ? path : WP.a.url + path);
      const res = typeof path === 'function' ? await path(p, lang) : await p.goto(`${url}${url.includes('?') ? '&' : '?'}lang=${lang}`);
      assert.equal(res.status(), status, `${type} (${lang}): HTTP ${res.status()}`);
      assert.equal(await p.getAttribute('html', 'lang'), lang, `${type}: <html lang>`);
      await p.addScriptTag({ path: axePath });
      const violations = await p.evaluate(() => axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      }).then(r => r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,
        target: v.nodes[0] && v.nodes[0].target.join(' ') }))));
      const serious = violations.filter(v => v.impact === 'serious' || v.impact === 'critical');
      for (const v of violations) console.log(`    ${type} (${lang}): ${v.impact} ${v.id} (${v.nodes}×, ${v.target}): ${v.help}`);
      console.log(`  ${serious.length ? 'FAIL' : 'ok  '} axe ${type} (${lang}): ${violations.length} violations, ${serious.length} serious or critical`);
      bad += serious.length;
      await shot(p, `${type}-${lang}`);
    }
  }
  for (const { context } of Object.values(pages)) await context.close();
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

// (j) A hosted node (WP.hosted: its entry page; a and b are two of its administrations): every
// link, form and stylesheet of a's pages stays under a's prefix; a's session cookie is scoped to
// a's path, so a's browser visiting b lands on b's log-in; a's token under b's cookie name opens
// nothing either; a forged POST to b's form with a's CSRF token is refused and changes nothing.
async function isolation() {
  if (!WP.hosted) { console.log('  (no hosted node given: skipped)'); return; }
  const { context, page } = await fresh();
  await logIn(page, 'a');
  const base = prefix('a');
  assert.match(base, /^\/t\/[a-z0-9-]+$/);
  for (const nav of ['/', '/selftest', '/inventory', '/inventory/system?name=Tabellenkalkulation', '/procurement',
    '/paths', '/rounds', '/comparison', '/peers', '/privacy', '/people']) {
    await page.goto(WP.a.url + nav);
    assert.equal(pathOf('a', page), nav.split('?')[0]);
    const targets = await page.$$eval('a[href], form[action], link[href]',
      els => els.map(e => e.getAttribute('href') ?? e.getAttribute('action')));
    for (const t of targets) {
      if (t.startsWith('#') || t.startsWith('?') || t === '/static/workplace.css') continue;
      assert.ok(t.startsWith(base + '/'), `${nav}: ${t} leaves ${base}/`);
    }
  }
  const session = c => c.name.startsWith('sovbench_') && c.name !== 'sovbench_lang' && !c.name.startsWith('sovbench_login');
  const aCookie = (await context.cookies(WP.a.url + '/')).find(session);
  assert.ok(aCookie, 'a session cookie');
  assert.equal(aCookie.path, base + '/', 'the session cookie is scoped to the administration');
  const csrf = await csrfOf(page);
  // a's browser on b: b's log-in page.
  for (const path of ['/', '/selftest']) {
    await page.goto(WP.b.url + path);
    assert.equal(pathOf('b', page), '/login', `a's session opens b's ${path}`);
  }
  await shot(page, 'hosted-b-login-with-a-session-de');
  // B's rows before.
  const b = await fresh();
  await logIn(b.page, 'b', 'approver', '/selftest');
  const rows = await b.page.locator('main table tbody tr').count();
  const bCookie = (await b.context.cookies(WP.b.url + '/')).find(session);
  assert.ok(bCookie && bCookie.name !== aCookie.name, 'each administration names its session cookie after its key');
  // a's token sent to b's paths, under a's and under b's cookie name.
  await context.addCookies([{ name: bCookie.name, value: aCookie.value, url: WP.b.url + '/' },
    { name: aCookie.name, value: aCookie.value, url: WP.b.url + '/' }]);
  await page.goto(WP.b.url + '/selftest');
  assert.equal(pathOf('b', page), '/login', 'a\'s token is unknown to b');
  // A forged POST to b's self-test form with a's CSRF token (and a's token as cookies).
  const all3 = Object.fromEntries(DIMENSIONS.map(d => [d, '3']));
  const forged = await post(page, 'b', '/selftest', { ...all3, csrf });
  assert.ok(forged.status === 403 || (forged.status === 303 && forged.location.startsWith(prefix('b') + '/login')),
    `a forged POST to b: HTTP ${forged.status} ${forged.location ?? ''}`);
  await b.page.reload();
  assert.equal(await b.page.locator('main table tbody tr').count(), rows, 'nothing was saved in b');
  // a still works on a.
  await page.goto(WP.a.url + '/selftest');
  assert.equal(pathOf('a', page), '/selftest');
  await b.context.close();
  await context.close();
}

const JOURNEYS = { login, selftest, language, security, inventory, round, peers, isolation, accessibility, demo };
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
