// Browser test of live monitoring against a running `callrec demo` (started
// by run.sh): while `callrec siprec-load` places a call, the tenant admin
// opens the call page and presses "Listen live"; the test measures audio
// actually arriving in the AudioWorklet (its level) and the delay it adds
// (frame timestamps against arrival, plus the jitter buffer and output),
// then pauses and resumes the recording in place — the listener keeps
// hearing the call, the page is not left — and checks the finished
// recording is silent over the marked span and carries audio elsewhere.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startCall } from './lib/siprec.mjs';
import { launch, signIn as signInAs } from './lib/browser.mjs';

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
let done;

before(async () => {
  ({ browser, page } = await launch({ height: 800, timeout: 15000 }, problems));
});

after(async () => {
  load?.kill();
  await browser?.close();
});

async function shot(name) {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

const signIn = (who) => signInAs(page, base, who);

function placeCall(seconds) {
  const call = startCall(bin, sipTarget, seconds);
  load = call.proc;
  return call.done;
}

test('a supervisor hears a live call in the browser, under 500 ms behind', async () => {
  await signIn(admin);
  done = placeCall(25);
  for (let i = 0; i < 50 && !callID; i++) {
    const res = await page.request.get(`${base}/api/v1/calls?state=active`);
    const body = await res.json();
    callID = (body.items || []).find((c) => c.state === 'active')?.id || '';
    if (!callID) await page.waitForTimeout(200);
  }
  assert.ok(callID, 'the call is listed while active');
  await page.goto(`${base}/recordings/${callID}`);
  await page.getByRole('button', { name: 'Listen live' }).click();
  const card = page.locator('#listen');
  await page.locator('#listen[data-listening="1"]').waitFor();
  // Audio actually arrives: the worklet's output level, and enough frames.
  await page.waitForFunction(() => {
    const c = document.getElementById('listen');
    return Number(c.dataset.level || 0) > 0.01 && Number(c.dataset.frames || 0) >= 100;
  }, null, { timeout: 10000 });
  const level = Number(await card.getAttribute('data-level'));
  const delay = Number(await card.getAttribute('data-delay'));
  const transit = Number(await card.getAttribute('data-transit'));
  console.log(`live monitoring: level ${level.toFixed(3)}, added delay ${delay} ms (transport ${transit} ms)`);
  assert.ok(level > 0.01, `worklet level ${level}`);
  assert.ok(delay > 0 && delay < 500, `added delay ${delay} ms`);
  await shot('call-listen-live');
  const audit = await (await page.request.get(`${base}/api/v1/audit?action=recording.listen_live`)).json();
  assert.ok(audit.items.some((e) => e.object_id === callID), 'the live listening is in the audit log');
  await page.getByRole('button', { name: 'Stop listening' }).click();
  await page.locator('#listen[data-listening="0"]').waitFor();
});

test('pause/resume leaves a silent, marked span in the finished recording', async () => {
  await page.getByRole('button', { name: 'Listen live' }).click();
  await page.locator('#listen[data-listening="1"]').waitFor();
  let navigations = 0;
  const count = (f) => { if (f === page.mainFrame()) navigations++; };
  page.on('framenavigated', count);
  const frames = async () => Number(await page.locator('#listen').getAttribute('data-frames'));

  await page.getByRole('button', { name: 'Pause recording' }).click();
  await page.getByRole('button', { name: 'Resume recording' }).waitFor();
  await page.getByText('Recording paused').first().waitFor();
  await page.locator('ul.pauses li', { hasText: 'now' }).waitFor();
  // Still listening: the stream says the recording is paused, frames go on.
  await page.locator('#listen-status', { hasText: 'Listening — recording paused' }).waitFor();
  const pausedAt = await frames();
  await page.waitForTimeout(3000);
  assert.ok(await frames() > pausedAt + 50, 'the worklet kept receiving frames while paused');
  await shot('call-paused-still-listening');

  await page.getByRole('button', { name: 'Resume recording' }).click();
  await page.getByRole('button', { name: 'Pause recording' }).waitFor();
  assert.equal(await page.locator('.badge-paused').count(), 0, 'the paused badge is gone');
  await page.locator('#listen-status', { hasText: /^Listening$/ }).waitFor();
  const resumedAt = await frames();
  await page.waitForFunction((n) => {
    const c = document.getElementById('listen');
    return Number(c.dataset.frames || 0) > n + 25 && Number(c.dataset.level || 0) > 0.01;
  }, resumedAt, { timeout: 5000 });
  assert.equal(await page.locator('#listen').getAttribute('data-listening'), '1', 'still listening after resume');
  page.off('framenavigated', count);
  assert.equal(navigations, 0, 'pause and resume did not leave the page');
  await shot('call-resumed-still-listening');
  await page.getByRole('button', { name: 'Stop listening' }).click();
  const summary = await done;
  assert.equal(summary.completed, 1, JSON.stringify(summary));
  let call;
  for (let i = 0; i < 60; i++) {
    call = await (await page.request.get(`${base}/api/v1/recordings/${callID}`)).json();
    if (call.state !== 'active') break;
    await page.waitForTimeout(500);
  }
  assert.equal(call.pauses.length, 1, JSON.stringify(call.pauses));
  const [p] = call.pauses;
  const res = await page.request.get(`${base}/api/v1/calls/${callID}/audio?format=wav`);
  assert.equal(res.status(), 200);
  const wav = Buffer.from(await res.body());
  const pcm = new Int16Array(wav.buffer.slice(wav.byteOffset + 44, wav.byteOffset + wav.length - ((wav.length - 44) % 4)));
  const peak = (fromMS, toMS) => {
    let m = 0;
    for (let i = Math.floor(fromMS * 8) * 2; i < Math.min(Math.floor(toMS * 8) * 2, pcm.length); i++) m = Math.max(m, Math.abs(pcm[i]));
    return m;
  };
  const inside = peak(p.start_ms + 40, p.end_ms - 40);
  const before = peak(500, p.start_ms - 200);
  const afterSpan = peak(p.end_ms + 300, p.end_ms + 3000);
  console.log(`recording peaks: before ${before}, paused span ${inside}, after ${afterSpan}`);
  assert.ok(inside < 200, `the paused span ${p.start_ms}–${p.end_ms} ms peaks at ${inside}`);
  assert.ok(before > 1000 && afterSpan > 1000, `audio around the span: ${before}, ${afterSpan}`);
  await page.goto(`${base}/recordings/${callID}`);
  await page.locator('#player[data-ready="1"]').waitFor({ timeout: 30000 });
  assert.equal(await page.locator('.mark-pause').count(), 1, 'the paused span is marked on the timeline');
  await shot('call-paused-span');
});

test('no console errors or CSP violations', () => {
  assert.deepEqual(problems, []);
});
