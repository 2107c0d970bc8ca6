// Chromium for the browser tests: Debian's build, headless, with the flags
// this machine's closed network needs, and every console error or page
// error collected (a CSP violation shows up as one).
import { chromium } from 'playwright-core';

export async function launch({ width = 1280, height = 860, timeout = 15000 } = {}, problems = []) {
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
