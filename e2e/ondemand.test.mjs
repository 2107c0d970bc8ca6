// Browser test of on-demand recording against a running `callrec demo`
// (started by run.sh): the tenant admin sets the tenant's default
// recording rule to On-demand and the demo agent (extension 2001) to
// Default; a SIPREC call from `callrec siprec-load` is then live but
// silent until Start recording is pressed on its page, and the stored
// call carries a marked span from 0 s to that moment.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startCall } from './lib/siprec.mjs';
import { launch, signIn } from './lib/browser.mjs';

const base = process.env.BASE_URL;
const sipTarget = process.env.SIP_TARGET;
const bin = process.env.CALLREC_BIN;
const shots = process.env.SCREENSHOTS || 'screenshots';
assert.ok(base && sipTarget && bin, 'BASE_URL, SIP_TARGET and CALLREC_BIN are required (run e2e/run.sh)');

const admin = { login: 'admin@contoso.example', password: 'Contoso#2026' };

let browser;
let page;
const problems = [];
let load;

before(async () => {
  ({ browser, page } = await launch({ height: 800, timeout: 15000 }, problems));
});

after(async () => {
  load?.kill();
  await browser?.close();
});

const shot = (name) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });

async function submit(name) {
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name, exact: true }).click()]);
}

test('a call of an on-demand user is silent until Start recording', async () => {
  await signIn(page, base, admin);
  await page.goto(`${base}/admin/settings`);
  await page.getByLabel('Default recording rule').selectOption('on_demand');
  await submit('Save');
  assert.equal(await page.getByLabel('Default recording rule').inputValue(), 'on_demand');
  await shot('ondemand-10-tenant-rule');

  await page.goto(`${base}/admin/users?search=Jordan`);
  await page.getByRole('link', { name: /Jordan Reyes/ }).first().click();
  await page.locator('#f-record').getByLabel('Default').check();
  await submit('Save');

  const placed = startCall(bin, sipTarget, 10);
  load = placed.proc;
  const { done } = placed;
  await page.goto(`${base}/recordings`);
  const live = page.locator('#rec-rows tr.is-live');
  await live.first().waitFor();
  const id = await live.first().getAttribute('data-id');
  await page.goto(`${base}/recordings/${id}`);
  await page.getByText('recorded on demand').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Resume recording' }).count(), 0);
  await shot('ondemand-20-live-not-started');
  await page.waitForTimeout(3000);
  await page.getByRole('button', { name: 'Start recording' }).click();
  await page.getByRole('button', { name: 'Pause recording' }).waitFor();
  await shot('ondemand-30-started');

  const summary = await done;
  assert.equal(summary.completed, 1, JSON.stringify(summary));
  let call;
  for (let i = 0; i < 60; i++) {
    call = await (await page.request.get(`${base}/api/v1/recordings/${id}`)).json();
    if (call.state !== 'active') break;
    await page.waitForTimeout(500);
  }
  assert.match(call.decision_reason, /tenant default: on demand/);
  assert.equal(call.pauses.length, 1, JSON.stringify(call.pauses));
  const [p] = call.pauses;
  assert.equal(p.start_ms, 0);
  assert.equal(p.paused_by, 'on demand: not started');
  assert.ok(p.end_ms >= 2500 && p.end_ms < 10000, `not started until ${p.end_ms} ms`);
  await page.goto(`${base}/recordings/${id}`);
  await page.locator('#player[data-ready="1"]').waitFor({ timeout: 30000 });
  assert.equal(await page.locator('.mark-pause').count(), 1, 'the silent start is marked on the timeline');
  await shot('ondemand-40-stored');
  assert.deepEqual(problems, []);
});
