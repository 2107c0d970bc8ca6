// Browser test of the Recordings workspace against a running `callrec demo`
// (started by run.sh) with its SIPREC recorder: the list updates live
// while `callrec siprec-load` places a call, pause/resume marks a span,
// the waveform player plays the finished call, and the dashboard shows it.
// Screenshots go to $SCREENSHOTS for a human to look at.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startCall } from './lib/siprec.mjs';
import { launch, signIn as signInAs } from './lib/browser.mjs';
import { assertNoOverflow } from './lib/layout.mjs';

const base = process.env.BASE_URL;
const sipTarget = process.env.SIP_TARGET;
const bin = process.env.CALLREC_BIN;
const shots = process.env.SCREENSHOTS || 'screenshots';
assert.ok(base && sipTarget && bin, 'BASE_URL, SIP_TARGET and CALLREC_BIN are required (run e2e/run.sh)');

const admin = { login: 'admin@contoso.example', password: 'Contoso#2026' };

let browser;
let page;
const problems = [];
let callID = '';
let load;

before(async () => {
  ({ browser, page } = await launch({ timeout: 15000 }, problems));
});

after(async () => {
  load?.kill();
  await browser?.close();
});

// shot keeps a screenshot of the page and checks that nothing on it
// overflows at 1366 px.
async function shot(name, fullPage = true) {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage });
  await assertNoOverflow(page, name);
}

const signIn = (who) => signInAs(page, base, who);

// placeCall runs siprec-load for one recorded call of the demo's agent
// (extension 2001) and resolves with its JSON summary when it hangs up.
function placeCall(seconds) {
  const call = startCall(bin, sipTarget, seconds);
  load = call.proc;
  return call.done;
}

test('the list shows a new call live, then its end, without a reload', async () => {
  await signIn(admin);
  await page.getByRole('link', { name: 'Recordings', exact: true }).click();
  await page.locator('#rec-table[data-connected="1"]').waitFor();
  await shot('recordings-empty');
  const navigations = [];
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations.push(f.url()); });
  const done = placeCall(14);
  const live = page.locator('#rec-rows tr.is-live');
  await live.first().waitFor();
  callID = await live.first().getAttribute('data-id');
  assert.ok(callID, 'the live row names its call');
  assert.match(await live.first().innerText(), /Live/);
  // Its duration counts while it lasts, rather than staying at 0:00.
  await page.waitForFunction(() => /^0:0[1-9]|^0:[1-5]\d/.test(document.querySelector('#rec-rows tr.is-live .live-clock')?.textContent || ''), null, { timeout: 5000 });
  await shot('recordings-live');
  assert.deepEqual(navigations, [], 'no reload while the call appeared');
  // Pause and resume on the call page while it is still live.
  await page.goto(`${base}/recordings/${callID}`);
  await page.getByRole('button', { name: 'Pause recording' }).click();
  await page.getByText('Recording paused').first().waitFor();
  await shot('call-paused');
  await page.waitForTimeout(3000);
  await page.getByRole('button', { name: 'Resume recording' }).click();
  await page.getByRole('button', { name: 'Pause recording' }).waitFor();
  // Back to the list; the call's end arrives as an event.
  await page.goto(`${base}/recordings`);
  await page.locator('#rec-table[data-connected="1"]').waitFor();
  const summary = await done;
  assert.equal(summary.completed, 1, JSON.stringify(summary));
  await page.locator(`#rec-rows tr[data-id="${callID}"]:not(.is-live)`).waitFor({ timeout: 30000 });
  assert.match(await page.locator(`#rec-rows tr[data-id="${callID}"]`).innerText(), /Completed/);
  await shot('recordings-list');
});

test('pause/resume leaves a marked span in the call metadata', async () => {
  const res = await page.request.get(`${base}/api/v1/recordings/${callID}`);
  assert.equal(res.status(), 200);
  const call = await res.json();
  assert.equal(call.pauses.length, 1, JSON.stringify(call.pauses));
  const [p] = call.pauses;
  assert.ok(p.end_ms - p.start_ms >= 2500 && p.end_ms - p.start_ms < 8000, `paused ${p.start_ms}–${p.end_ms} ms`);
});

test('the waveform player plays the finished call, seeks and changes speed', async () => {
  await page.goto(`${base}/recordings/${callID}`);
  await page.locator('#player[data-ready="1"]').waitFor({ timeout: 30000 });
  assert.equal(await page.locator('.mark-pause').count(), 1, 'the paused span is marked on the timeline');
  await page.getByRole('button', { name: 'Play' }).click();
  await page.waitForFunction(() => window.callrecPlayer.getCurrentTime() > 0.5);
  await page.locator('#speed').selectOption('1.5');
  assert.equal(await page.evaluate(() => window.callrecPlayer.getPlaybackRate()), 1.5);
  await page.evaluate(() => window.callrecPlayer.setTime(8));
  await page.waitForFunction(() => window.callrecPlayer.getCurrentTime() >= 8);
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.getByLabel('Note', { exact: true }).fill('Customer confirms the order');
  await page.getByRole('button', { name: 'Add note' }).click();
  await page.getByText('Note added.').waitFor();
  await page.locator('#player[data-ready="1"]').waitFor({ timeout: 30000 });
  // What the SIPREC session said: both streams with their codec and sender.
  const streams = page.locator('table.streams tbody tr');
  assert.equal(await streams.count(), 2, 'both streams are listed');
  assert.match(await streams.first().innerText(), /PCMU\/8000/);
  const card = await page.locator('.rec-grid .card').first().boundingBox();
  const table = await page.locator('table.streams').boundingBox();
  assert.ok(table.x + table.width <= card.x + card.width + 1, 'the streams table stays inside its card');
  await shot('call-page');
  const audit = await (await page.request.get(`${base}/api/v1/audit?action=recording.play`)).json();
  assert.ok(audit.items.some((e) => e.object_id === callID), 'the playback is in the audit log');
});

test('the dashboard counts the call', async () => {
  await page.getByRole('link', { name: 'Dashboard' }).click();
  await page.locator('.tile').first().waitFor();
  const calls = await page.locator('.tile', { hasText: 'Calls' }).locator('.tile-value').innerText();
  assert.ok(Number(calls) >= 1, `calls tile shows ${calls}`);
  assert.ok(await page.locator('svg.chart rect.bar').count() >= 7);
  await shot('dashboard');
});

test('no console errors or CSP violations', () => {
  assert.deepEqual(problems, []);
});
