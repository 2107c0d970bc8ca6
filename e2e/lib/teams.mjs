// Shared steps of the Teams browser tests: Chromium, Microsoft's pages
// (played by the emulator) and the callrec wizard.
import assert from 'node:assert/strict';
import path from 'node:path';
import { launch, signIn as signInAs } from './browser.mjs';

export { launch };

export const admin = { login: 'admin@contoso.example', password: 'Contoso#2026' };
export const msAdmin = { upn: 'AdeleV@contoso.onmicrosoft.com', password: 'Contoso-Admin-1!' };
export const domain = 'contoso.onmicrosoft.com';


export const shooter = (page, dir, prefix) => (name) =>
  page.screenshot({ path: path.join(dir, `${prefix}-${name}.png`), fullPage: true });

export const clickNav = (page, locator) => Promise.all([page.waitForNavigation(), locator.click()]);

// microsoft answers Microsoft's sign-in pages as a person would: pick the
// account (or type it), the password, then Accept on the permissions page.
export async function microsoft(page, base, shot, label) {
  for (let i = 0; i < 6; i++) {
    if (new URL(page.url()).origin === base) return;
    const text = await page.locator('body').innerText();
    if (text.includes('Pick an account')) {
      await shot(`${label}-pick-account`);
      await clickNav(page, page.getByRole('button', { name: new RegExp(msAdmin.upn, 'i') }));
    } else if (text.includes('Enter password')) {
      await page.getByPlaceholder('Password').fill(msAdmin.password);
      await clickNav(page, page.getByRole('button', { name: 'Sign in' }));
    } else if (text.includes('Permissions requested')) {
      await shot(`${label}-permissions`);
      const org = page.getByLabel('Consent on behalf of your organization');
      if (await org.count()) await org.uncheck();
      await clickNav(page, page.getByRole('button', { name: 'Accept' }));
    } else if (await page.locator('#loginfmt').count()) {
      await shot(`${label}-sign-in`);
      await page.locator('#loginfmt').fill(msAdmin.upn);
      await clickNav(page, page.getByRole('button', { name: 'Next' }));
    } else {
      assert.fail(`unexpected Microsoft page ${page.url()}: ${text.slice(0, 300)}`);
    }
  }
  assert.equal(new URL(page.url()).origin, base, 'back at callrec');
}

export const signIn = (page, base) => signInAs(page, base, admin);

// finishedOnScreen waits until the job's progress list shows the end where
// it ran — 100%, every step OK and Close — with no navigation on the way,
// and returns the Close link.
export async function finishedOnScreen(page, timeout = 120000) {
  let navigations = 0;
  const count = (f) => { if (f === page.mainFrame()) navigations++; };
  page.on('framenavigated', count);
  const close = page.getByRole('link', { name: 'Close', exact: true });
  await close.waitFor({ timeout });
  page.off('framenavigated', count);
  assert.equal(navigations, 0, 'the page reloaded or left while the job ran');
  assert.equal(await page.locator('#job-progress').evaluate((e) => e.value), 100);
  assert.equal((await page.locator('[data-progress-num]').innerText()).trim(), '100%');
  const statuses = await page.locator('.steps-table td[data-status]').evaluateAll((tds) => tds.map((t) => t.getAttribute('data-status')));
  assert.ok(statuses.length > 0, 'no steps listed');
  assert.deepEqual(statuses, statuses.map(() => 'ok'), 'every step OK');
  const badges = await page.locator('.steps-table td[data-status]').allInnerTexts();
  assert.deepEqual(badges.map((b) => b.trim()), badges.map(() => 'OK'));
  return close;
}

// connect goes through the wizard with the guide's defaults, waits for
// Step 4 to finish on screen and closes it into the details page; check
// (if given) looks at each of callrec's pages on the way, e.g. for overflow.
export async function connect(page, base, shot, check = async () => {}) {
  await page.goto(`${base}/admin/integrations?add=1`);
  await check('add-integration');
  await clickNav(page, page.getByRole('button', { name: 'Continue' }));
  await page.getByRole('heading', { name: 'Connection to Microsoft Teams' }).waitFor();
  await check('wizard-step1');
  await clickNav(page, page.getByRole('button', { name: 'Continue' }));
  await microsoft(page, base, shot, 'step1');
  await page.getByText(`Successfully received permissions for organization domain ${domain}`).first().waitFor();
  await check('wizard-step2');
  await clickNav(page, page.getByRole('button', { name: 'Continue' }));
  await microsoft(page, base, shot, 'step2');
  await page.getByRole('radio', { name: /All users/ }).waitFor();
  await check('wizard-step3');
  await clickNav(page, page.getByRole('button', { name: 'Continue and apply' }));
  await clickNav(page, await finishedOnScreen(page));
  await page.getByRole('heading', { name: 'Integration', exact: true }).waitFor({ timeout: 90000 });
}
