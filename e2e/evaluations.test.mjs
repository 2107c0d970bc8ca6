// Browser test of quality evaluations against a running `callrec demo`
// (started by run.sh): the tenant admin builds a QA form; the supervisor
// evaluates a recorded call of the demo agent (Jordan Reyes, extension
// 2001, given the Agent evaluation license and a group the supervisor
// manages) with the form beside the player, pinning an answer to the
// player's moment; the agent sees the evaluation and disputes it; the
// supervisor finds it Disputed; the QA report shows the score.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startCall } from './lib/siprec.mjs';
import { launch, signIn as signInAs } from './lib/browser.mjs';
import { assertNoOverflow } from './lib/layout.mjs';

const base = process.env.BASE_URL;
const sipTarget = process.env.SIP_TARGET;
const bin = process.env.CALLREC_BIN;
const shots = process.env.SCREENSHOTS || 'screenshots';
assert.ok(base && sipTarget && bin, 'BASE_URL, SIP_TARGET and CALLREC_BIN are required (run e2e/run.sh)');

const admin = { login: 'admin@contoso.example', password: 'Contoso#2026' };
const supervisor = { login: 'supervisor@contoso.example', password: 'Contoso#2026' };
const agent = { login: 'jordan.qa', password: 'Jordan#Eval2026' };

let browser;
let page;
const problems = [];
let load;

before(async () => {
  ({ browser, page } = await launch({ timeout: 15000 }, problems));
});

after(async () => {
  load?.kill();
  await browser?.close();
});

async function shot(name) {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
  await assertNoOverflow(page, name);
}

const signIn = (who) => signInAs(page, base, who);

async function submit(name) {
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name, exact: true }).click()]);
}

// api calls the REST API as admin through the browser's cookie jar.
async function api(method, url, data, csrf) {
  const res = await page.request.fetch(`${base}/api/v1${url}`, { method, data, headers: csrf ? { 'X-CSRF-Token': csrf } : {} });
  const body = await res.json().catch(() => ({}));
  assert.ok(res.ok(), `${method} ${url}: ${res.status()} ${JSON.stringify(body)}`);
  return body;
}

test('setup: the agent is licensed, in a group the supervisor manages, and may sign in', async () => {
  await page.context().clearCookies();
  const { csrf_token: csrf, stage } = await api('POST', '/session', admin);
  if (stage === 'terms') await api('POST', '/me/terms', { version: 1 }, csrf);
  const group = await api('POST', '/groups', { name: 'QA team' }, csrf);
  const { items: found } = await api('GET', '/users?search=Jordan');
  const jordan = found[0];
  assert.ok(jordan, 'the demo agent exists');
  await api('PATCH', `/users/${jordan.id}`, {
    role: 'user_self_view', login: agent.login, password: agent.password, web_portal_access: true,
    licenses: [...new Set([...(jordan.licenses || []), 'call_recording', 'agent_evaluation'])],
    groups: [...new Set([...(jordan.groups || []), group.id])],
  }, csrf);
  const { items: sups } = await api('GET', '/users?search=Megan');
  await api('PATCH', `/users/${sups[0].id}`, { managed_groups: [group.id] }, csrf);
});

test('the admin builds a QA form', async () => {
  await signIn(admin);
  await page.getByRole('link', { name: 'QA', exact: true }).click();
  await page.getByRole('link', { name: 'Forms', exact: true }).click();
  await page.getByRole('link', { name: 'New form' }).click();
  await page.getByLabel('Form name').fill('Customer care');
  await page.locator('#s0-t').fill('Opening');
  await page.getByLabel('Section 1 question 1').fill('Greeted the caller by the company name');
  await page.locator('[name="s0.q0.rule"]').fill('thank you for calling');
  await page.getByLabel('Section 1 question 2').fill('Friendly, calm tone');
  await page.locator('[name="s0.q1.kind"]').selectOption('scale_5');
  await page.locator('[name="s0.q1.weight"]').fill('3');
  await page.locator('[name="s0.q1.na"]').check();
  await page.getByLabel('Section 1 question 3').fill('Verified the caller\'s identity');
  await page.locator('[name="s0.q2.weight"]').fill('0');
  await page.locator('[name="s0.q2.critical"]').check();
  await shot('evaluations-10-form-builder');
  await submit('Save form');
  await page.getByText('Form saved').waitFor();
  assert.equal(await page.getByLabel('Form name').inputValue(), 'Customer care');
  // A form without questions is refused, field by field, and nothing is saved.
  await page.goto(`${base}/qa/forms/new`);
  await page.getByLabel('Form name').fill('Empty');
  await submit('Save form');
  await page.locator('#form-error').getByText(/sections/).waitFor();
});

let callID;

test('the supervisor evaluates the call beside the player', async () => {
  const placed = startCall(bin, sipTarget, 6);
  load = placed.proc;
  await placed.done;
  const { items } = await api('GET', '/recordings?limit=1');
  callID = items[0].id;
  await signIn(supervisor);
  await page.goto(`${base}/recordings/${callID}`);
  const panel = page.locator('#evaluate');
  await panel.waitFor();
  await page.locator('#player[data-ready="1"]').waitFor();
  // Beside the player: the panel starts right of it, at the same height.
  const [pl, ev] = await Promise.all([page.locator('#player').boundingBox(), panel.boundingBox()]);
  assert.ok(ev.x > pl.x + pl.width - 1 && Math.abs(ev.y - pl.y) < 40, `panel beside the player: ${JSON.stringify({ pl, ev })}`);
  await page.evaluate(() => window.callrecPlayer.setTime(2.4));
  await panel.getByRole('combobox', { name: /Greeted the caller/ }).selectOption('1');
  await panel.locator('button.qa-pin').first().click();
  assert.equal(await panel.locator('[name="at.q1"]').inputValue(), '0:02');
  await panel.getByRole('combobox', { name: /Friendly, calm tone/ }).selectOption('3');
  await panel.getByRole('combobox', { name: /Verified the caller/ }).selectOption('1');
  await panel.getByLabel('Comment').fill('Good opening; tone a little rushed.');
  await shot('evaluations-20-call-page');
  await submit('Submit evaluation');
  await page.getByText('Evaluation submitted').waitFor();
  // (1×1 + 3×0.5) / 4 = 62.5
  assert.equal(await page.locator('.qa-score').innerText(), '62.5');
  await page.getByRole('link', { name: '0:02' }).waitFor();
  await shot('evaluations-30-evaluation');
});

test('the agent sees the evaluation and disputes it', async () => {
  await signIn(agent);
  await page.getByRole('link', { name: 'QA', exact: true }).click();
  await shot('evaluations-40-agent-list');
  await page.getByRole('link', { name: 'Open' }).first().click();
  await page.getByLabel('Why you dispute it').fill('I did verify the caller at 0:04 — please listen again.');
  await submit('Dispute');
  await page.getByText('Dispute sent to the evaluator').waitFor();
  await shot('evaluations-50-disputed');
});

test('the evaluator sees the dispute, and the report shows the score', async () => {
  await signIn(supervisor);
  await page.getByRole('link', { name: 'QA', exact: true }).click();
  await page.getByText('1 disputed evaluation waits for your answer').waitFor();
  const row = page.locator('tr.qa-disputed');
  assert.match(await row.innerText(), /Disputed/);
  await shot('evaluations-60-evaluator-disputed');
  await row.getByRole('link', { name: 'Open' }).click();
  assert.match(await page.locator('#agent-comment').innerText(), /I did verify the caller/);
  await page.getByRole('link', { name: 'Reports', exact: true }).click();
  assert.equal(await page.locator('#qa-count').innerText(), '1');
  assert.equal(await page.locator('#qa-average').innerText(), '62.5');
  assert.match(await page.locator('#qa-agents').innerText(), /Jordan Reyes\s+1\s+62\.5/);
  await shot('evaluations-70-report');
  assert.deepEqual(problems, []);
});
