// Browser test of the portal shell against a running `callrec demo`
// (started by run.sh): sign-in, layout, Roles, sign-out, the provider's
// tenant switcher. Screenshots go to $SCREENSHOTS for a human to look at.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createHmac } from 'node:crypto';
import { launch, signIn as signInAs } from './lib/browser.mjs';

const base = process.env.BASE_URL;
const shots = process.env.SCREENSHOTS || 'screenshots';
assert.ok(base, 'BASE_URL is required (run e2e/run.sh)');

const tenantAdmin = { login: 'admin@contoso.example', password: 'Contoso#2026' };
const provider = { login: 'provider', password: 'Provider#2026' };

let browser;
let page;
const problems = [];

before(async () => {
  ({ browser, page } = await launch({ height: 800, timeout: 10000 }, problems));
});

after(async () => {
  await browser?.close();
});

async function shot(name, fullPage = true) {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage });
}

const signIn = (who) => signInAs(page, base, who, () => shot(`terms-${who.login.split('@')[0]}`));

// totp is RFC 6238 (SHA-1, 30 s, 6 digits) of a base32 secret, as an
// authenticator app computes it.
function totp(secret, now = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/[\s=]/g, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(now / 30000)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const off = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, '0');
}

async function signOut() {
  await page.locator('.usermenu summary').click();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByText('You are signed out.').waitFor();
}

test('sign-in page and a wrong password', async () => {
  await page.goto(`${base}/`);
  assert.equal(new URL(page.url()).pathname, '/login');
  await shot('01-login');
  await page.getByLabel('Login').fill(tenantAdmin.login);
  await page.getByLabel('Password', { exact: true }).fill('Wrong#2026');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'The login or password is not correct.' }).waitFor();
  assert.equal(await page.getByLabel('Login').inputValue(), tenantAdmin.login);
  await shot('02-login-error');
});

test('tenant admin: layout, Roles page, sign out', async () => {
  await signIn(tenantAdmin);
  const nav = page.getByRole('navigation', { name: 'Main' });
  assert.deepEqual(await nav.getByRole('link').allInnerTexts(), ['Home', 'Dashboard', 'Recordings', 'QA', 'Reports', 'Administration']);
  await page.getByRole('heading', { level: 1, name: /Welcome/ }).waitFor();
  await page.getByRole('heading', { name: 'Licenses' }).waitFor();
  assert.equal(await page.locator('.switcher').count(), 0, 'a tenant admin has no tenant switcher');
  await shot('03-admin-home');

  await page.locator('.usermenu summary').click();
  const menu = page.locator('.usermenu-panel');
  await menu.getByText('Teams Admin | Admin').waitFor();
  assert.ok(await menu.getByRole('link', { name: 'API tokens' }).isVisible());
  await shot('04-user-menu', false);
  await page.keyboard.press('Escape');
  await page.locator('.usermenu summary').click();

  await nav.getByRole('link', { name: 'Administration' }).click();
  await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Roles' }).click();
  await page.getByRole('heading', { level: 1, name: 'Roles' }).waitFor();
  const matrix = page.getByRole('table');
  for (const role of ['Teams Admin | Admin', 'Teams Supervisor | Supervisor', 'User Self View', 'User', 'API User']) {
    await matrix.getByRole('columnheader', { name: role, exact: true }).waitFor();
  }
  assert.equal(await matrix.getByRole('columnheader', { name: 'Provider Admin' }).count(), 0);
  const row = matrix.getByRole('row', { name: /Listen to active calls/ });
  assert.equal(await row.getByText('Yes').count(), 2, 'admin and supervisor may listen live');
  await shot('05-roles');

  await page.goto(`${base}/account/tokens`);
  await page.getByLabel('Name').fill('e2e token');
  await page.getByRole('button', { name: 'Create token' }).click();
  assert.match(await page.getByLabel('New API token').inputValue(), /^cr_/);
  await shot('06-tokens');

  await page.goto(`${base}/account/security`);
  await page.getByRole('heading', { name: /2-step verification/ }).waitFor();
  await shot('07-security');
  await page.getByRole('button', { name: 'Set up 2-step verification' }).click();
  const qr = page.getByRole('img', { name: /QR code/ });
  assert.ok((await qr.evaluate((img) => img.naturalWidth)) > 100, 'the QR code image loads');
  const secret = await page.locator('#secret code').innerText();
  await shot('07b-setup-qr');
  await page.getByLabel('Enter the 6-digit code your app shows').fill(totp(secret));
  await page.getByRole('button', { name: 'Turn on 2-step verification' }).click();
  assert.equal(await page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').count(), 10);
  await shot('07c-recovery-codes');
  await page.getByRole('link', { name: 'I saved these codes, continue' }).click();
  await page.getByText(/unused recovery codes left/).waitFor();

  await signOut();
  await shot('08-signed-out');
  await page.goto(`${base}/admin/roles`);
  assert.equal(new URL(page.url()).pathname, '/login', 'signed out: the Roles page asks to sign in');
});

test('provider: tenants overview and tenant switcher', async () => {
  await signIn(provider);
  await page.getByRole('note').getByText('Provider view').waitFor();
  const tenants = page.getByRole('table');
  await tenants.getByRole('rowheader', { name: 'Contoso' }).waitFor();
  await shot('09-provider-home');

  await page.getByLabel('Acting in').selectOption({ label: 'Contoso' });
  await page.getByRole('button', { name: 'Switch' }).click();
  await page.getByText('You are now acting in the selected tenant.').waitFor();
  const banner = page.getByRole('note');
  assert.match(await banner.innerText(), /You are acting in tenant Contoso/);
  assert.equal(await page.getByLabel('Acting in').locator('option:checked').innerText(), 'Contoso');
  await page.getByRole('heading', { name: 'Licenses' }).waitFor();
  await shot('10-provider-acting');

  await page.getByLabel('Acting in').selectOption({ label: 'Provider (all tenants)' });
  await page.getByRole('button', { name: 'Switch' }).click();
  await page.getByText('You are back in the provider view.').waitFor();
  await signOut();
});

test('not found page', async () => {
  const res = await page.goto(`${base}/no-such-page`);
  assert.equal(res.status(), 404);
  await shot('11-not-found');
});

test('no console errors or CSP violations', () => {
  assert.deepEqual(problems, []);
});
