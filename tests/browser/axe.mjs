// Runs axe-core in headless Chromium over the Chrome DevTools Protocol on every dashboard page
// type (German and English), fails on any serious or critical violation, and takes a
// screenshot of each page, checked to be a PNG of the expected size.
//
// node axe.mjs CHROMIUM BASE_URL OUT_DIR   (axe-core and ws installed next to this script's
// NODE_PATH; see run.sh)
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(process.env.NODE_MODULES + '/');
const WebSocket = require('ws');
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const [chromium, base, out] = process.argv.slice(2);
const WIDTH = 1280, HEIGHT = 900;

function fail(msg) { console.error('browser tests: ' + msg); process.exit(1); }

async function json(path) {
  const r = await fetch(base + path);
  if (!r.ok) fail(`${path}: HTTP ${r.status}`);
  return r.json();
}

// The pages: one of each type, with a real round, cohort and metric of the demo.
const rounds = (await json('/api/v1/rounds')).rounds;
if (!rounds.length) fail('no published round');
const round = rounds[rounds.length - 1].round_id;
const cells = (await json(`/api/v1/rounds/${encodeURIComponent(round)}/cells`)).cells;
const cohort = (cells.find(c => c.cohort !== 'all' && !c.suppressed) || cells[0]).cohort;
const pages = [
  ['overview', '/'],
  ['round', `/rounds/${encodeURIComponent(round)}`],
  ['cohort', `/rounds/${encodeURIComponent(round)}/cohorts/${encodeURIComponent(cohort)}`],
  ['trend', '/trends/selftest.total?cohort=all'],
  ['paths', '/paths'],
  ['methodology', '/methodik'],
];

const profile = mkdtempSync(join(tmpdir(), 'sovbench-chromium-'));
const browser = spawn(chromium, [
  '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-extensions',
  '--remote-debugging-port=0', `--user-data-dir=${profile}`, `--window-size=${WIDTH},${HEIGHT}`,
  'about:blank',
], { stdio: ['ignore', 'ignore', 'pipe'] });
const wsUrl = await new Promise((resolve, reject) => {
  let err = '';
  const t = setTimeout(() => reject(new Error('Chromium did not start: ' + err)), 60000);
  browser.stderr.on('data', d => {
    err += d;
    const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
    if (m) { clearTimeout(t); resolve(m[1]); }
  });
  browser.on('exit', code => reject(new Error(`Chromium exited with ${code}: ${err}`)));
});
const port = new URL(wsUrl).port;
const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
const target = targets.find(t => t.type === 'page');
const ws = new WebSocket(target.webSocketDebuggerUrl, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
await new Promise((res, rej) => { ws.on('open', res); ws.on('error', rej); });
let nextId = 1;
const pending = new Map();
const waiters = [];
ws.on('message', data => {
  const msg = JSON.parse(data);
  if (msg.id && pending.has(msg.id)) {
    const { resolve, reject } = pending.get(msg.id);
    pending.delete(msg.id);
    msg.error ? reject(new Error(JSON.stringify(msg.error))) : resolve(msg.result);
  } else if (msg.method) {
    for (const w of waiters.splice(0)) w(msg);
  }
});
const send = (method, params = {}) => new Promise((resolve, reject) => {
  const id = nextId++;
  pending.set(id, { resolve, reject });
  ws.send(JSON.stringify({ id, method, params }));
});
const event = name => new Promise(resolve => {
  const check = msg => (msg.method === name ? resolve(msg) : waiters.push(check));
  waiters.push(check);
});

await send('Page.enable');
await send('Emulation.setDeviceMetricsOverride', { width: WIDTH, height: HEIGHT, deviceScaleFactor: 1, mobile: false });
let failed = 0;
// Every portal page type in both languages, then extra documents given as JSON in
// SOVBENCH_EXTRA_PAGES: [[type, absolute URL, lang], ...] (the node's HTML report).
const visits = [];
for (const [type, path0] of pages) {
  for (const lang of ['de', 'en']) {
    const path = lang === 'en' ? path0 + (path0.includes('?') ? '&' : '?') + 'lang=en' : path0;
    visits.push([type, base + path, lang, path]);
  }
}
for (const [type, url, lang] of JSON.parse(process.env.SOVBENCH_EXTRA_PAGES || '[]')) {
  visits.push([type, url, lang, url]);
}
for (const [type, url, lang, path] of visits) {
  {
    const loaded = event('Page.loadEventFired');
    const nav = await send('Page.navigate', { url });
    if (nav.errorText) fail(`${path}: ${nav.errorText}`);
    await loaded;
    const htmlLang = (await send('Runtime.evaluate', { expression: 'document.documentElement.lang', returnByValue: true })).result.value;
    if (htmlLang !== lang) { console.error(`${path}: <html lang="${htmlLang}">, expected ${lang}`); failed++; }
    await send('Runtime.evaluate', { expression: axeSource });
    const res = await send('Runtime.evaluate', {
      expression: `axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}}).then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length, target: v.nodes[0] && v.nodes[0].target.join(' ')})))`,
      awaitPromise: true, returnByValue: true,
    });
    if (res.exceptionDetails) fail(`${path}: axe failed: ${JSON.stringify(res.exceptionDetails)}`);
    const violations = res.result.value;
    const bad = violations.filter(v => v.impact === 'serious' || v.impact === 'critical');
    for (const v of violations) console.log(`  ${path}: ${v.impact} ${v.id} (${v.nodes}×, ${v.target}): ${v.help}`);
    if (bad.length) failed++;
    const shot = await send('Page.captureScreenshot', { format: 'png' });
    const png = Buffer.from(shot.data, 'base64');
    const sig = png.subarray(0, 8).toString('hex');
    const w = png.readUInt32BE(16), h = png.readUInt32BE(20);
    if (sig !== '89504e470d0a1a0a' || w !== WIDTH || h !== HEIGHT || png.length < 5000) {
      console.error(`${path}: screenshot is not a ${WIDTH}x${HEIGHT} PNG with content (${sig}, ${w}x${h}, ${png.length} bytes)`);
      failed++;
    }
    writeFileSync(join(out, `${type}-${lang}.png`), png);
    console.log(`${bad.length ? 'FAIL' : 'ok  '} ${type} (${lang}) ${path}: ${violations.length} violations, ${bad.length} serious or critical; screenshot ${w}x${h}, ${png.length} bytes`);
  }
}
ws.close();
browser.kill();
const total = visits.length;
console.log(`browser: ${total - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
