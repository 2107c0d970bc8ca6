// Browser test of the Microsoft Teams integration: the tenant admin
// connects Teams through the four-step wizard — Microsoft's own pages
// (played by the emulator that `callrec demo` runs) included — watches
// Step 4's live progress, reads the details, and disconnects again.
// Screenshots of every step go to $SCREENSHOTS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { chromium } from 'playwright-core';

const base = process.env.BASE_URL;
const shots = process.env.SCREENSHOTS || 'screenshots';
assert.ok(base, 'BASE_URL is required (run e2e/run.sh)');

const admin = { login: 'admin@contoso.example', password: 'Contoso#2026' };
const msAdmin = { upn: 'AdeleV@contoso.onmicrosoft.com', password: 'Contoso-Admin-1!' };
const domain = 'contoso.onmicrosoft.com';

let browser;
let page;
const problems = [];

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${page.url()}: ${e.message}`));
});

after(async () => {
  await browser?.close();
});

const shot = (name) => page.screenshot({ path: path.join(shots, `teams-${name}.png`), fullPage: true });
const clickNav = (locator) => Promise.all([page.waitForNavigation(), locator.click()]);

// microsoft answers Microsoft's sign-in pages as a person would: pick the
// account (or type it), the password, then Accept on the permissions page.
async function microsoft(label) {
  for (let i = 0; i < 6; i++) {
    const url = new URL(page.url());
    if (url.origin === base) return;
    const text = await page.locator('body').innerText();
    if (text.includes('Pick an account')) {
      await shot(`${label}-pick-account`);
      await clickNav(page.getByRole('button', { name: new RegExp(msAdmin.upn, 'i') }));
    } else if (text.includes('Enter password')) {
      await page.getByPlaceholder('Password').fill(msAdmin.password);
      await clickNav(page.getByRole('button', { name: 'Sign in' }));
    } else if (text.includes('Permissions requested')) {
      await shot(`${label}-permissions`);
      const org = page.getByLabel('Consent on behalf of your organization');
      if (await org.count()) await org.uncheck();
      await clickNav(page.getByRole('button', { name: 'Accept' }));
    } else if (await page.locator('#loginfmt').count()) {
      await shot(`${label}-sign-in`);
      await page.locator('#loginfmt').fill(msAdmin.upn);
      await clickNav(page.getByRole('button', { name: 'Next' }));
    } else {
      assert.fail(`unexpected Microsoft page ${page.url()}: ${text.slice(0, 300)}`);
    }
  }
  assert.equal(new URL(page.url()).origin, base, 'back at callrec');
}

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

  // Step 4. Apply: live progress without reloading, then the details.
  await page.getByRole('heading', { name: 'Progress' }).waitFor();
  await shot('7-step4-progress');
  await page.waitForURL((u) => true);
  await page.getByRole('heading', { name: 'Integration', exact: true }).waitFor({ timeout: 90000 });
  await shot('8-details');
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
  await page.getByText(/was disconnected/).waitFor({ timeout: 90000 });
  await shot('11-disconnected');
  assert.deepEqual(problems, []);
});
