// Browser test of the simulated provider portal (the guide's "Cloud
// Services Portal") that `callrec demo` runs beside callrec: sign-in with
// password, TOTP enrolment and terms; no "Call Recording – Connect" link
// for a license holder until the customer's admin, after a SCIM "Sync now",
// ticks that holder's access link; then the link shows, opening a new tab.
// Connect then signs the holder in to callrec in that new tab (IdP-initiated
// SAML), and signing out of callrec ends the portal session too (SLO).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import { launch } from './lib/browser.mjs';

const portal = process.env.PROVIDER_PORTAL_URL;
const base = process.env.BASE_URL;
const shots = process.env.SCREENSHOTS || 'screenshots';
assert.ok(portal, 'PROVIDER_PORTAL_URL is required (run e2e/run.sh)');

const admin = { login: 'admin@contoso.example', password: 'Portal#2026' };
const agent = { login: 'lynne@contoso.example', password: 'Portal#2026' };

let browser;
const problems = [];

before(async () => {
  ({ browser } = await launch({ width: 1366, height: 900, timeout: 15000 }, problems));
});

after(async () => {
  await browser?.close();
});

// totp is RFC 6238's code (SHA-1, 30 s, 6 digits) for a base32 secret.
function totp(secret, now = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of secret.replace(/=+$/, '')) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(now / 30000)));
  const h = crypto.createHmac('sha1', key).update(counter).digest();
  const off = h[h.length - 1] & 15;
  return String((h.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, '0');
}

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  return page;
}

// signIn walks the portal's password, MFA enrolment and terms pages.
async function signIn(page, who, name) {
  await page.goto(`${portal}/signin`);
  await page.getByLabel('Username').fill(who.login);
  await page.getByLabel('Password').fill('Wrong#2026');
  await Promise.all([page.waitForLoadState(), page.getByRole('button', { name: 'Sign in' }).click()]);
  await page.getByRole('alert').filter({ hasText: 'not correct' }).waitFor();
  await page.getByLabel('Username').fill(who.login);
  await page.getByLabel('Password').fill(who.password);
  await Promise.all([page.waitForURL(/\/mfa$/), page.getByRole('button', { name: 'Sign in' }).click()]);
  const secret = (await page.locator('#totp-secret').textContent()).trim();
  await page.screenshot({ path: path.join(shots, `provider-${name}-mfa.png`) });
  await page.getByLabel('Code').fill('000000');
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('alert').filter({ hasText: 'not correct' }).waitFor();
  await page.getByLabel('Code').fill(totp(secret));
  await Promise.all([page.waitForURL(/\/terms$/), page.getByRole('button', { name: 'Verify' }).click()]);
  await page.getByLabel('I accept the Terms and Conditions').check();
  await Promise.all([page.waitForURL(/\/dashboard$/), page.getByRole('button', { name: 'Continue' }).click()]);
}

test('the Connect link appears only once the admin ticks the holder', async () => {
  const agentPage = await newPage();
  await signIn(agentPage, agent, 'agent');
  assert.equal(await agentPage.getByRole('link', { name: 'Call Recording – Connect' }).count(), 0,
    'a license holder sees Connect before the admin allowed it');
  await agentPage.locator('#no-connect').waitFor();
  await agentPage.screenshot({ path: path.join(shots, 'provider-agent-no-link.png') });

  const adminPage = await newPage();
  await signIn(adminPage, admin, 'admin');
  await Promise.all([adminPage.waitForURL(/\/admin\/call-recording$/),
    adminPage.getByRole('link', { name: 'Call Recording', exact: true }).click()]);
  await Promise.all([adminPage.waitForURL(/notice=/), adminPage.getByRole('button', { name: 'Sync now' }).click()]);
  const row = adminPage.locator('tr[data-user="lynne@contoso.example"]');
  await row.waitFor();
  const box = row.getByLabel('Access link for lynne@contoso.example');
  assert.equal(await box.isChecked(), false, 'the access link must default to off');
  await box.check();
  await Promise.all([adminPage.waitForURL(/notice=Saved/), row.getByRole('button', { name: 'Save' }).click()]);
  assert.equal(await adminPage.locator('tr[data-user="lynne@contoso.example"]').getByLabel('Access link for lynne@contoso.example').isChecked(), true);
  await adminPage.screenshot({ path: path.join(shots, 'provider-admin-holders.png'), fullPage: true });

  await agentPage.reload();
  const connect = agentPage.getByRole('link', { name: 'Call Recording – Connect' });
  await connect.waitFor();
  assert.equal(await connect.getAttribute('target'), '_blank', 'Connect opens in a new window or tab');
  await agentPage.screenshot({ path: path.join(shots, 'provider-agent-connect.png') });

  // Connect: a new tab lands in callrec, signed in as the holder (callrec's
  // own terms still apply at a first sign-in).
  const [tab] = await Promise.all([agentPage.context().waitForEvent('page'), connect.click()]);
  await tab.waitForURL((u) => u.href.startsWith(base) && !u.pathname.startsWith('/saml/'), { timeout: 15000 });
  if (new URL(tab.url()).pathname === '/terms') {
    await Promise.all([tab.waitForNavigation(), tab.getByRole('button', { name: 'I accept the terms and conditions' }).click()]);
  }
  assert.equal(new URL(tab.url()).pathname, '/', `landed at ${tab.url()}`);
  await tab.locator('.usermenu summary', { hasText: 'Lynne Robbins' }).waitFor();
  await tab.screenshot({ path: path.join(shots, 'provider-connect-landed.png') });

  // Single Logout: signing out of callrec signs out of the portal as well.
  await tab.locator('.usermenu summary').click();
  await tab.getByRole('button', { name: 'Sign out' }).click();
  await tab.waitForURL((u) => u.href.startsWith(base) && !u.pathname.startsWith('/saml/'), { timeout: 15000 });
  const me = await tab.request.get(`${base}/api/v1/me`);
  assert.equal(me.status(), 401, 'callrec still knows the holder after signing out');
  await agentPage.goto(`${portal}/dashboard`);
  await agentPage.waitForURL(/\/signin/);
  assert.deepEqual(problems, []);
});
