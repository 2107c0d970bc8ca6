// Browser test of tenant isolation at the recording edge against a running
// `callrec demo` (whose Contoso has the SIPREC source 127.0.0.1): the
// provider creates Fabrikam with a limit of concurrent calls, acts in it,
// is refused Contoso's address at the field, adds another, and sees both
// customers' sources on Service provider > All SIPREC sources. Screenshots
// go to $SCREENSHOTS at 1366×900.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launch, signIn as signInAs } from './lib/browser.mjs';

const base = process.env.BASE_URL;
const shots = process.env.SCREENSHOTS || 'screenshots';
assert.ok(base, 'BASE_URL is required (run e2e/run.sh)');

const provider = { login: 'provider', password: 'Provider#2026' };

let browser;
let page;
const problems = [];

before(async () => {
  ({ browser, page } = await launch({ width: 1366, height: 900, timeout: 10000 }, problems));
});

after(async () => {
  await browser?.close();
});

async function shot(name) {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

const adminNav = () => page.getByRole('navigation', { name: 'Administration' });

async function submit(name) {
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name, exact: true }).click()]);
}

test('provider: all SIPREC sources, a tenant with a call limit, an overlap refused at the field', async () => {
  await signInAs(page, base, provider);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Administration' }).click();
  await adminNav().getByRole('link', { name: 'All SIPREC sources' }).click();
  await page.getByRole('heading', { level: 1, name: 'All SIPREC sources' }).waitFor();
  const demo = page.getByRole('row', { name: /Demo SBC/ });
  await demo.getByText('Contoso').waitFor();
  await demo.getByText('127.0.0.1').waitFor();
  await shot('60-all-sources');

  await adminNav().getByRole('link', { name: 'Tenants' }).click();
  await page.getByRole('link', { name: '+ Add tenant' }).click();
  await page.getByLabel('Name *').fill('Fabrikam');
  await page.getByLabel('Concurrent calls').fill('-3');
  await submit('Save');
  assert.equal(await page.getByLabel('Concurrent calls').getAttribute('aria-invalid'), 'true');
  await page.locator('#err-max_calls').filter({ hasText: 'between 0 (no limit) and' }).waitFor();
  await page.getByLabel('Concurrent calls').fill('25');
  await shot('61-tenant-concurrent-calls');
  await submit('Save');
  await page.getByText('The tenant was created').waitFor();
  await page.getByRole('link', { name: 'Edit Fabrikam' }).click();
  assert.equal(await page.getByLabel('Concurrent calls').inputValue(), '25');

  await adminNav().getByRole('link', { name: 'Tenants' }).click();
  await page.getByRole('row', { name: /Fabrikam/ }).getByRole('button', { name: /Switch into/ }).click();
  await page.getByText('You are acting in tenant Fabrikam').waitFor();
  await page.goto(`${base}/admin/sip-sources`);
  await page.getByLabel('Name').fill('Fabrikam SBC');
  await page.getByLabel('Address').fill('127.0.0.0/30');
  await page.getByLabel('Domain or request-URI user').fill('fabrikam.example');
  await submit('Add source');
  assert.equal(await page.getByLabel('Address').getAttribute('aria-invalid'), 'true');
  await page.locator('#err-address').filter({ hasText: 'overlaps a source registered to another customer' }).waitFor();
  await shot('62-sip-source-overlap');
  await page.getByLabel('Address').fill('127.0.0.2');
  await submit('Add source');
  await page.getByText('The SIPREC source was added').waitFor();

  await adminNav().getByRole('link', { name: 'All SIPREC sources' }).click();
  await page.getByText('2 sources of 2 tenants').waitFor();
  await page.getByRole('row', { name: /Fabrikam SBC/ }).getByText('fabrikam.example').waitFor();
  await shot('63-all-sources-two-tenants');
});

test('no console errors or CSP violations', () => {
  assert.deepEqual(problems, []);
});
