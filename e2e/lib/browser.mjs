// Chromium for the browser tests: Debian's build, headless, with the flags
// this machine's closed network needs, and every console error or page
// error collected (a CSP violation shows up as one).
import { chromium } from 'playwright-core';

// 1366×900: the laptop screen the layout is checked at (e2e/lib/layout.mjs).
export async function launch({ width = 1366, height = 900, timeout = 15000 } = {}, problems = []) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--autoplay-policy=no-user-gesture-required'],
  });
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  page.setDefaultTimeout(timeout);
  // Error statuses a test asks for (401, 404) are logged too, and expected.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${page.url()}: ${e.message}`));
  return { browser, context, page, problems };
}

// signIn fills callrec's sign-in form by keyboard as who, accepts the terms
// if asked (onTerms runs first, e.g. for a screenshot), and checks that the
// home page follows.
export async function signIn(page, base, who, onTerms) {
  await page.context().clearCookies();
  await page.goto(`${base}/login`);
  await page.getByLabel('Login').fill(who.login);
  await page.getByLabel('Password', { exact: true }).fill(who.password);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  if (new URL(page.url()).pathname === '/terms') {
    if (onTerms) await onTerms();
    await Promise.all([page.waitForNavigation(),
      page.getByRole('button', { name: 'I accept the terms and conditions' }).click()]);
  }
  if (new URL(page.url()).pathname !== '/') throw new Error(`signed in at ${page.url()}`);
}
