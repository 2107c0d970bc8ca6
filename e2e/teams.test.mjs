// Browser test of the Microsoft Teams integration: the tenant admin
// connects Teams through the four-step wizard — Microsoft's own pages
// (played by the emulator that `callrec demo` runs) included — watches
// Step 4's live progress, reads the details, and disconnects again.
// Screenshots of every step go to $SCREENSHOTS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launch, clickNav as nav, microsoft as ms, admin, domain, finishedOnScreen } from './lib/teams.mjs';

const base = process.env.BASE_URL;
const shots = process.env.SCREENSHOTS || 'screenshots';
assert.ok(base, 'BASE_URL is required (run e2e/run.sh)');

let browser;
let page;
let problems;

before(async () => {
  ({ browser, page, problems } = await launch());
});

after(async () => {
  await browser?.close();
});

// A full-page shot of a scrolled page draws the sticky header mid-page.
const shot = async (name) => {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(shots, `teams-${name}.png`), fullPage: true });
};
const clickNav = (locator) => nav(page, locator);
const microsoft = (label) => ms(page, base, shot, label);

test('a tenant admin connects Microsoft Teams and disconnects it again', async () => {
  await page.goto(`${base}/login`);
  await page.getByLabel('Login').fill(admin.login);
  await page.getByLabel('Password', { exact: true }).fill(admin.password);
  await clickNav(page.getByRole('button', { name: 'Sign in' }));
  if (new URL(page.url()).pathname === '/terms') {
    await clickNav(page.getByRole('button', { name: 'I accept the terms and conditions' }));
  }

  await page.goto(`${base}/admin/integrations`);
  await page.getByRole('heading', { name: 'No integrations yet' }).waitFor();
  await shot('1-empty');
  await clickNav(page.getByRole('link', { name: '+ Add' }).first());
  await page.getByRole('heading', { name: 'Add Integration' }).waitFor();
  assert.equal(await page.locator('select#integration').inputValue(), 'teams');
  await shot('2-add-dialog');
  await clickNav(page.getByRole('button', { name: 'Continue' }));

  // Step 1. Getting started
  await page.getByRole('heading', { name: 'Connection to Microsoft Teams' }).waitFor();
  assert.ok(await page.getByLabel(/Use automation/).isChecked());
  await shot('3-step1');
  await clickNav(page.getByRole('button', { name: 'Continue' }));
  await microsoft('step1');
  await page.getByText(`Successfully received permissions for organization domain ${domain}`).first().waitFor();
  await shot('4-step2');

  // Step 2. Admin consent
  await clickNav(page.getByRole('button', { name: 'Continue' }));
  await microsoft('step2');
  await page.getByRole('radio', { name: /All users/ }).waitFor();
  await shot('5-step3');

  // Step 3. Configure: the guide's defaults.
  assert.equal(await page.getByLabel('Group', { exact: true }).inputValue(), 'Recorded Users');
  assert.equal(await page.getByLabel('Group UPN').inputValue(), 'recorded_users');
  assert.ok(await page.getByLabel('Recording notification').isChecked());
  assert.equal(await page.getByLabel(/Policy Description/).inputValue(), 'Automatically record calls');
  for (const flag of ['Required Before Meeting Join', 'Required Before Call Establishment', 'Required During Meeting', 'Required During Call']) {
    assert.equal(await page.getByLabel(flag).isChecked(), false, flag);
  }
  // Turning the notification off without agreeing is refused.
  await page.getByLabel('Recording notification').uncheck();
  await clickNav(page.getByRole('button', { name: 'Continue and apply' }));
  await page.getByText('turning the recording notification off requires agreeing').waitFor();
  await shot('6-step3-needs-agreement');
  await page.getByLabel('Recording notification').check();
  await clickNav(page.getByRole('button', { name: 'Continue and apply' }));

  // Step 4. Apply: live progress without reloading, ending on screen at
  // 100% with every step OK; Close opens the details.
  await page.getByRole('heading', { name: 'Progress' }).waitFor();
  await shot('7-step4-progress');
  const applied = finishedOnScreen(page);
  const retrying = page.getByText(/^Waiting for Microsoft to .*; trying again at \d\d:\d\d:\d\d .*\(attempt \d of \d\)$/).first();
  if (await retrying.waitFor({ timeout: 15000 }).then(() => true, () => false)) await shot('7b-step4-retrying');
  const close = await applied;
  assert.equal(await page.locator('.wizard-tabs [aria-current="step"]').innerText(), 'Step 4. Apply');
  await shot('8-step4-finished');
  await clickNav(close);
  await page.getByRole('heading', { name: 'Integration', exact: true }).waitFor();
  await shot('8b-details');
  const details = await page.locator('.facts').first().innerText();
  assert.match(details, /Connected/);
  assert.match(details, new RegExp(domain));
  assert.match(await page.locator('body').innerText(), /Admin consent:\s*Received/);

  // Disconnect: a wrong domain is refused, then everything is removed.
  await clickNav(page.getByRole('link', { name: 'Disconnect' }));
  await page.getByLabel(/Confirm domain/).fill('contoso.example.com');
  await clickNav(page.getByRole('button', { name: 'Continue' }));
  await page.getByText('Nothing was removed').waitFor();
  await shot('9-disconnect-wrong-domain');
  await page.getByLabel(/Confirm domain/).fill(domain);
  await shot('10-disconnect-confirm');
  await clickNav(page.getByRole('button', { name: 'Continue' }));
  await microsoft('disconnect');
  // Step 2. Finish: the removals' progress, to 100% and Close.
  assert.equal(await page.locator('.wizard-tabs [aria-current="step"]').innerText(), 'Step 2. Finish');
  await page.getByRole('heading', { name: 'Disconnect from Microsoft Teams' }).waitFor();
  await shot('11-disconnect-step2-progress');
  const removed = await finishedOnScreen(page);
  assert.equal(await page.getByText('Removing the Teams resources now').count(), 0, 'the sign-in banner outlived the removal');
  await shot('12-disconnect-step2-finished');
  await clickNav(removed);
  await page.getByRole('heading', { name: 'Integrations', exact: true }).waitFor();
  assert.match(await page.locator('table').first().innerText(), /Disconnected/);
  await shot('13-disconnected');
  // The wizard starts over without the old banner.
  await page.goto(`${base}/admin/integrations/teams?returned=1`);
  await page.getByText(/was disconnected/).waitFor();
  assert.equal(await page.getByText('Removing the Teams resources now').count(), 0);
  assert.deepEqual(problems, []);
});
