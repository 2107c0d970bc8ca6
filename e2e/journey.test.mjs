// The README's demo journey in Chromium, as the guide's Teams admin walks
// it: connect Microsoft Teams, add a user to "Recorded Users" in the
// (emulated) Microsoft 365 admin center, place a test call there, watch it
// appear live in callrec's Recordings, listen to it live through a pause
// and a resume, and play it back when it ends; then the guide's first
// steps: Manage Users > Roles, Groups, Users and a user's Edit (far right),
// and the disconnect, to 100%. Every callrec page on the way is checked for
// tables and controls that overflow at 1366 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, shooter, clickNav, signIn, connect, msAdmin, microsoft, finishedOnScreen, domain } from './lib/teams.mjs';
import { assertNoOverflow } from './lib/layout.mjs';

const base = process.env.BASE_URL;
const ms = process.env.MS_URL;
assert.ok(base && ms, 'BASE_URL and MS_URL are required (run e2e/run.sh)');

let browser;
let page;
let problems;
let shot;

// check looks at a callrec page (not Microsoft's) for overflow.
async function check(label) {
  if (new URL(page.url()).origin !== base) return;
  if (label.startsWith('wizard-')) await page.screenshot({ path: `${process.env.SCREENSHOTS || 'screenshots'}/journey-${label}.png`, fullPage: true });
  await assertNoOverflow(page, label);
  if (label === 'wizard-step2') {
    const ok = page.locator('.flash').filter({ hasText: 'Successfully received permissions' });
    assert.equal(await ok.count(), 1, 'Step 2 says its success once');
  }
}

before(async () => {
  ({ browser, page, problems } = await launch());
  const take = shooter(page, process.env.SCREENSHOTS || 'screenshots', 'journey');
  shot = async (name) => { await take(name); await check(name); };
});

after(async () => {
  await browser?.close();
});

test('connect Teams, add a user, place a call, see it live, play it back', async () => {
  await signIn(page, base);
  await check('home');
  await connect(page, base, shot, check);
  await shot('1-connected');

  // Microsoft applies a new membership only once it has replicated (the
  // guide says to allow 15 minutes; the emulator's replication delay was
  // exercised by the wizard above). A fixed wait for it failed on a busy
  // machine: from here on the emulator replicates at once.
  const rep = await fetch(`${ms}/emu/replication`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: '{"delay_seconds":0}' });
  assert.ok(rep.ok, `emulator replication: ${rep.status}`);

  // Microsoft 365 admin center: Teams & groups > Recorded Users > + Add members.
  await page.goto(`${ms}/admin/groups`);
  if (await page.locator('#passwd').count()) { // not signed in to the admin center yet
    await page.locator('#loginfmt').fill(msAdmin.upn);
    await page.locator('#passwd').fill(msAdmin.password);
    await clickNav(page, page.getByRole('button', { name: 'Sign in' }));
    await page.goto(`${ms}/admin/groups`);
  }
  await shot('2a-groups');
  await clickNav(page, page.getByRole('link', { name: 'Recorded Users' }));
  await page.locator('summary', { hasText: 'Add members' }).click().catch(() => {});
  await page.locator('#member').selectOption({ label: 'Alex Wilber (AlexW@contoso.onmicrosoft.com)' });
  await shot('2-add-member');
  await clickNav(page, page.getByRole('button', { name: /^Add/ }));
  assert.match(await page.locator('body').innerText(), /AlexW@contoso\.onmicrosoft\.com/);

  // Place a test call: Alex calls a phone number for 30 s.
  await page.goto(`${ms}/admin/calls`);
  await page.locator('#from').selectOption({ label: 'Alex Wilber (AlexW@contoso.onmicrosoft.com)' });
  await page.locator('#to_phone').fill('+15551230000');
  await page.locator('#duration').fill('30');
  await shot('3-place-call');
  await clickNav(page, page.getByRole('button', { name: 'Place call' }));

  // callrec: the call appears while it lasts, without reloading.
  await page.goto(`${base}/recordings`);
  const row = page.locator('#rec-table tbody tr[data-id]').first();
  await row.waitFor({ timeout: 15000 });
  await page.locator('#rec-table .state-active').first().waitFor({ timeout: 15000 });
  await shot('4-live');

  // On the live call's page: Listen live, and the listener keeps hearing
  // through Pause recording and Resume recording, which change the call in
  // place without leaving the page.
  await clickNav(page, row.locator('a').first());
  await page.getByRole('button', { name: 'Listen live' }).click();
  await page.locator('#listen[data-listening="1"]').waitFor();
  const frames = async () => Number(await page.locator('#listen').getAttribute('data-frames'));
  await page.waitForFunction(() => Number(document.getElementById('listen').dataset.frames || 0) >= 50, null, { timeout: 10000 });
  let navigations = 0;
  const count = (f) => { if (f === page.mainFrame()) navigations++; };
  page.on('framenavigated', count);
  await page.getByRole('button', { name: 'Pause recording' }).click();
  await page.getByRole('button', { name: 'Resume recording' }).waitFor();
  const pausedAt = await frames();
  await page.waitForTimeout(1500);
  assert.ok(await frames() > pausedAt + 25, 'the listener kept hearing while the recording was paused');
  await shot('4b-listening-paused');
  await page.getByRole('button', { name: 'Resume recording' }).click();
  await page.getByRole('button', { name: 'Pause recording' }).waitFor();
  const resumedAt = await frames();
  await page.waitForTimeout(1000);
  assert.ok(await frames() > resumedAt + 15, 'the listener kept hearing after the resume');
  page.off('framenavigated', count);
  assert.equal(navigations, 0, 'pause or resume left the page and stopped the listener');
  await page.getByRole('button', { name: 'Stop listening' }).click();
  await page.goto(`${base}/recordings`);

  // When it ends the row turns completed, still without a reload.
  await page.locator('#rec-table .state-completed').first().waitFor({ timeout: 60000 });
  await shot('5-completed');

  // The call page plays it.
  await clickNav(page, row.locator('a').first());
  const play = page.locator('#play');
  await play.waitFor();
  await page.waitForFunction(() => !document.querySelector('#play').disabled, null, { timeout: 20000 });
  await play.click();
  await page.waitForFunction(() => !/^0:00 /.test(document.querySelector('#time').textContent), null, { timeout: 10000 });
  await shot('6-playing');
  const details = await page.locator('body').innerText();
  assert.match(details, /Alex Wilber/);
  assert.doesNotMatch(await page.locator('h1').innerText(), /[0-9a-f]{8}-[0-9a-f]{4}/, 'the heading names people, not Teams ids');

  // What each party saw and heard, in the emulator's call list.
  await page.goto(`${ms}/admin/calls`);
  await shot('7-emulator-calls');
  const calls = await page.locator('body').innerText();
  assert.match(calls, /This call is being recorded/i);
  assert.deepEqual(problems, []);
});

test("the guide's first steps: Manage Users > Roles, Groups, Users, Edit (far right)", async () => {
  const nav = page.getByRole('navigation', { name: 'Administration' });
  await page.goto(`${base}/admin/integrations/teams`);
  await shot('8-integration-details');
  await clickNav(page, nav.getByRole('link', { name: 'Roles', exact: true }));
  assert.deepEqual(await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('listitem').allInnerTexts(),
    ['Administration', 'Manage Users', 'Roles'], "the guide's words");
  await nav.getByRole('heading', { name: 'Manage Users' }).waitFor();
  assert.doesNotMatch(await page.locator('table.matrix').innerText(), /recordings\.view_all/, 'permissions in words, not codes');
  await shot('9-roles');
  await clickNav(page, nav.getByRole('link', { name: 'Groups', exact: true }));
  await shot('10-groups');
  await clickNav(page, nav.getByRole('link', { name: 'Users', exact: true }));
  await shot('11-users');
  // Alex, provisioned from Teams at his call, has a Teams id for extension.
  const alex = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: /Alex Wilber/ }) });
  assert.equal(await alex.count(), 1, 'one Alex Wilber');
  await clickNav(page, alex.getByRole('link', { name: /^Edit/ }));
  await page.getByRole('heading', { name: 'User info', exact: true }).waitFor();
  await shot('12-user-edit');
  await clickNav(page, nav.getByRole('link', { name: 'Unknown extensions', exact: true }));
  await shot('13-unknown-extensions');
  await page.goto(`${base}/recordings`);
  await shot('14-recordings');

  // The guide's last step: disconnect, and Step 2. Finish reaches 100%.
  await page.goto(`${base}/admin/integrations/teams`);
  await clickNav(page, page.getByRole('link', { name: 'Disconnect' }));
  await page.getByLabel(/Confirm domain/).fill(domain);
  await clickNav(page, page.getByRole('button', { name: 'Continue' }));
  await microsoft(page, base, shot, 'disconnect');
  await page.getByRole('heading', { name: 'Disconnect from Microsoft Teams' }).waitFor();
  const removed = await finishedOnScreen(page);
  await shot('15-disconnect-finished');
  await clickNav(page, removed);
  await page.getByRole('heading', { name: 'Integrations', exact: true }).waitFor();
  assert.match(await page.locator('table').first().innerText(), /Disconnected/);
  await shot('16-disconnected');
  assert.deepEqual(problems, []);
});
