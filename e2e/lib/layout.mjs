// assertNoOverflow checks what a person at 1366 px would see clipped or
// scrolled sideways: the page itself wider than the window, a table or a
// control (button, link-button, field) sticking out of its card or scroll
// container, and any box whose content is wider than the box. Places meant
// to scroll (a PowerShell script, the waveform) or to cut a long value short
// with an ellipsis (class "trunc", the full value on hover and copy) are
// allowed; a table that needs its .table-wrap's scroll bar is not.
import assert from 'node:assert/strict';

// Boxes that may scroll or clip on purpose.
const intended = ['pre.script', '.wave', '.wave *', '.trunc', '.sr-only', 'details.changes ol', '.usermenu-panel'];

export async function overflowProblems(page) {
  return page.evaluate((intended) => {
    const out = [];
    const vw = document.documentElement.clientWidth;
    const name = (el) => {
      let s = el.tagName.toLowerCase();
      if (el.id) s += `#${el.id}`;
      else if (el.classList.length) s += `.${[...el.classList].slice(0, 2).join('.')}`;
      const text = (el.innerText || el.value || '').trim().replace(/\s+/g, ' ').slice(0, 40);
      return text ? `${s} "${text}"` : s;
    };
    const allowed = (el) => intended.some((sel) => el.matches(sel));
    const shown = (el) => {
      const r = el.getBoundingClientRect();
      if (r.width <= 1 || r.height <= 1) return false;
      const cs = getComputedStyle(el);
      return cs.visibility !== 'hidden' && cs.display !== 'none';
    };
    if (document.documentElement.scrollWidth > vw + 1) {
      out.push(`the page is ${document.documentElement.scrollWidth}px wide in a ${vw}px window`);
    }
    for (const el of document.body.querySelectorAll('*')) {
      if (!shown(el) || allowed(el) || el.closest('.sr-only, .usermenu:not([open])')) continue;
      const cs = getComputedStyle(el);
      // Content wider than its box: clipped, scrolled or spilling out.
      if (cs.display !== 'inline' && el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1 &&
          !['INPUT', 'SELECT', 'TEXTAREA', 'PROGRESS', 'METER'].includes(el.tagName) && !(cs.textOverflow === 'ellipsis' && cs.overflowX === 'hidden')) {
        out.push(`${name(el)}: content ${el.scrollWidth}px wide in a ${el.clientWidth}px box`);
        continue;
      }
      const isControl = el.matches('table, button, .btn, input, select, textarea, summary.btn');
      if (!isControl) continue;
      const r = el.getBoundingClientRect();
      if (r.right > vw + 1 || r.left < -1) out.push(`${name(el)}: ${Math.round(r.left)}–${Math.round(r.right)}px, outside the ${vw}px window`);
      // Its card or nearest scroll container.
      let box = el.parentElement;
      while (box && box !== document.body) {
        const bs = getComputedStyle(box);
        if (box.matches('.card, main') || bs.overflowX !== 'visible') break;
        box = box.parentElement;
      }
      if (!box || box === document.body) continue;
      const b = box.getBoundingClientRect();
      if (r.right > b.right + 1 || r.left < b.left - 1) {
        out.push(`${name(el)}: ${Math.round(r.left)}–${Math.round(r.right)}px, outside ${name(box).slice(0, 40)} (${Math.round(b.left)}–${Math.round(b.right)}px)`);
      }
    }
    return [...new Set(out)];
  }, intended);
}

// assertNoOverflow fails the test with every overflow on the page, named
// by where (label) the test is.
// With OVERFLOW=warn it prints them and goes on, to see a whole run's.
export async function assertNoOverflow(page, label = page.url()) {
  const problems = await overflowProblems(page);
  if (process.env.OVERFLOW === 'warn') {
    for (const p of problems) console.log(`overflow: ${label}: ${p}`);
    return;
  }
  assert.deepEqual(problems, [], `${label}: overflow at ${await page.evaluate(() => window.innerWidth)} px`);
}
