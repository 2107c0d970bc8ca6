// Browser test of the provider's white label against a running `callrec
// demo` (started by run.sh): the provider admin sets a brand (name, logo,
// accent colour, support, terms) and it shows on the sign-in page, in the
// portal and in Step 3 of the Teams setup, with no "callrec" on any page a
// tenant sees.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn as signInAs } from './lib/browser.mjs';
import { admin, microsoft, clickNav, shooter } from './lib/teams.mjs';

const base = process.env.BASE_URL;
const shots = process.env.SCREENSHOTS || 'screenshots';
assert.ok(base, 'BASE_URL is required (run e2e/run.sh)');

const provider = { login: 'provider', password: 'Provider#2026' };
const brandName = 'Northwind Voice';
const accent = '#6b21a8'; // 8.72:1 with white
const logoSVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" width="32" height="32">
<rect width="32" height="32" rx="6" fill="${accent}"/><path d="M8 22V10l8 8 8-8v12" stroke="#fff" stroke-width="3" fill="none"/></svg>`;

let browser;
let page;
let shot;
const problems = [];

before(async () => {
  ({ browser, page } = await launch({ width: 1366, height: 900, timeout: 15000 }, problems));
  shot = shooter(page, shots, 'brand');
});

after(async () => {
  await browser?.close();
});

// noVendor fails when the page's HTML names the vendor.
async function noVendor(what) {
  const html = await page.content();
  const m = html.match(/.{0,60}callrec.{0,60}/i);
  assert.equal(m, null, `${what} (${page.url()}) says callrec: …${m?.[0]}…`);
}

async function accentOf(selector) {
  return page.locator(selector).first().evaluate((el) => getComputedStyle(el).backgroundColor);
}

test('the built-in brand before any is set', async () => {
  await page.goto(`${base}/login`);
  assert.equal(await page.locator('.auth-brand .brand-name').innerText(), 'callrec');
  assert.match(await page.title(), /· callrec$/);
});

test('provider admin: a light accent is refused, then the brand is saved', async () => {
  await signInAs(page, base, provider);
  await page.goto(`${base}/admin/provider/branding`);
  await page.getByRole('heading', { level: 1, name: 'Branding' }).waitFor();
  await page.getByText('it cannot be set from here').waitFor(); // the consent page's name is Entra's
  await page.getByLabel('Product name').fill(brandName);
  await page.getByLabel('Tagline').fill('Recording for business');
  await page.getByLabel('Accent colour').fill('#ffcc00');
  await page.getByLabel('Support e-mail').fill('support@northwind.example');
  await page.getByLabel('Terms of use').fill('Northwind Voice terms.\n\nRecordings are confidential.');
  await page.getByLabel('Logo').setInputFiles({ name: 'logo.svg', mimeType: 'image/svg+xml', buffer: Buffer.from(logoSVG) });
  await clickNav(page, page.getByRole('button', { name: 'Save' }));
  const err = page.locator('#err-accent_color');
  await err.waitFor();
  assert.match(await err.innerText(), /contrast with white is 1\.\d+:1; at least 4\.5:1/);
  assert.equal(await page.getByLabel('Product name').inputValue(), brandName, 'the refused form keeps what was typed');
  await shot('01-refused-accent');

  await page.getByLabel('Accent colour').fill(accent);
  await page.getByLabel('Logo').setInputFiles({ name: 'logo.svg', mimeType: 'image/svg+xml', buffer: Buffer.from(logoSVG) });
  await clickNav(page, page.getByRole('button', { name: 'Save' }));
  await page.getByText('The brand was saved.').waitFor();
  assert.equal(await page.locator('.topbar .brand-name').innerText(), brandName);
  assert.ok(await page.locator('.topbar img.brand-logo').evaluate((img) => img.complete && img.naturalWidth > 0), 'the logo loads');
  assert.equal(await page.getByLabel('Accent colour').inputValue(), accent);
  await shot('02-saved');
});

test('sign-in page carries the brand', async () => {
  await page.context().clearCookies();
  await page.goto(`${base}/login`);
  assert.equal(await page.locator('.auth-brand .brand-name').innerText(), brandName);
  assert.equal(await page.locator('.auth-brand .brand-sub').innerText(), 'Recording for business');
  assert.ok(await page.locator('.auth-brand img.brand-logo').evaluate((img) => img.complete && img.naturalWidth > 0), 'the logo loads');
  assert.equal(await page.title(), `Sign in · ${brandName}`);
  assert.equal(await accentOf('.btn-primary'), 'rgb(107, 33, 168)', 'the button takes the accent');
  await page.getByRole('link', { name: 'support@northwind.example' }).waitFor();
  await noVendor('sign-in page');
  await shot('03-sign-in');
  for (const p of ['/forgot-password', '/reset-password?token=nope']) {
    await page.goto(base + p);
    await noVendor(p);
  }
  // The logo is an image that may not run anything, even opened on its own.
  const res = await page.request.get(`${base}/brand/logo`);
  assert.equal(res.headers()['content-type'], 'image/svg+xml');
  assert.match(res.headers()['content-security-policy'], /default-src 'none'.*sandbox/);
});

test('tenant admin: the portal carries the brand and never says callrec', async () => {
  await signInAs(page, base, admin, async () => {
    await page.getByText('Recordings are confidential.').waitFor(); // the provider's terms
    await noVendor('terms page');
  });
  assert.equal(await page.locator('.topbar .brand-name').innerText(), brandName);
  assert.equal(await accentOf('.btn-primary, .mainnav a[aria-current="page"]') !== '', true);
  await shot('04-tenant-home');
  for (const p of ['/', '/dashboard', '/recordings', '/admin', '/admin/users', '/admin/groups', '/admin/roles', '/admin/settings',
    '/admin/audit', '/admin/integrations', '/admin/integrations?add=1', '/admin/sip-sources', '/account/security', '/account/tokens', '/terms', '/nowhere']) {
    await page.goto(base + p);
    await noVendor(p);
    assert.match(await page.title(), new RegExp(`· ${brandName}$`), `${p} title`);
  }
  await page.goto(`${base}/admin/provider/branding`);
  await page.getByRole('heading', { name: 'Not allowed' }).waitFor();
});

test('Step 3 of the Teams setup proposes the brand\'s names', async () => {
  await page.goto(`${base}/admin/integrations?add=1`);
  await clickNav(page, page.getByRole('button', { name: 'Continue' }));
  await page.getByRole('heading', { name: 'Connection to Microsoft Teams' }).waitFor();
  await noVendor('wizard step 1');
  await clickNav(page, page.getByRole('button', { name: 'Continue' }));
  await microsoft(page, base, shot, 'step1');
  await noVendor('wizard step 2');
  await clickNav(page, page.getByRole('button', { name: 'Continue' }));
  await microsoft(page, base, shot, 'step2');
  await page.getByRole('radio', { name: /All users/ }).waitFor();
  assert.equal(await page.locator('#app_name').inputValue(), brandName);
  assert.equal(await page.locator('#app_upn_local').inputValue(), 'northwindvoice');
  assert.equal(await page.locator('#policy_name').inputValue(), 'NorthwindVoiceRecordingPolicy');
  await noVendor('wizard step 3');
  await shot('05-step3');
  assert.deepEqual(problems, []);
});
