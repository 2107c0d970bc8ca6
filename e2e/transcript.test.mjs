// Browser test of speech analytics: the provider points callrec at an
// OpenAI-compatible transcription server (a stand-in started here that
// answers each party's sentence in turn), the admin gives the demo's agent
// a Speech analytics license, a SIPREC call of two espeak-ng voices is
// recorded, and the call page shows the transcript as a dialogue that
// follows the player: the line being played is highlighted, a line's time
// seeks. 1366×900, nothing overflows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { launch, signIn as signInAs } from './lib/browser.mjs';
import { assertNoOverflow } from './lib/layout.mjs';

const base = process.env.BASE_URL;
const sipTarget = process.env.SIP_TARGET;
const bin = process.env.CALLREC_BIN;
const shots = process.env.SCREENSHOTS || 'screenshots';
assert.ok(base && sipTarget && bin, 'BASE_URL, SIP_TARGET and CALLREC_BIN are required (run e2e/run.sh)');

const admin = { login: 'admin@contoso.example', password: 'Contoso#2026' };
const provider = { login: 'provider', password: 'Provider#2026' };
const agentSays = 'your order will be delivered on friday afternoon';
const callerSays = 'good morning how can i help you today';

let browser;
let page;
const problems = [];
let stt;
let sttURL = '';
let load;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'callrec-transcript-'));
const haveTools = ['espeak-ng', 'sox'].every((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0);

// The stand-in answers the documented verbose_json shape: the agent's
// segments are sent first, so the first request gets the agent's sentence.
function startSTT() {
  let n = 0;
  stt = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const at = body.indexOf('data');
      const seconds = at > 0 ? body.readUInt32LE(at + 4) / 16000 : 2;
      const words = (n++ === 0 ? agentSays : callerSays).split(' ');
      const step = Math.max(seconds - 0.4, 0.5) / words.length;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ task: 'transcribe', language: 'english', duration: seconds, text: words.join(' '),
        words: words.map((w, i) => ({ word: w, start: 0.2 + i * step, end: 0.2 + (i + 0.9) * step })) }));
    });
  });
  return new Promise((resolve) => stt.listen(0, '127.0.0.1', () => { sttURL = `http://127.0.0.1:${stt.address().port}`; resolve(); }));
}

// dialogue writes a stereo 8 kHz WAV: the caller on the left, the agent
// (the recorded party's stream) on the right, the agent first.
function dialogue() {
  const run = (cmd, args) => {
    const r = spawnSync(cmd, args);
    assert.equal(r.status, 0, `${cmd}: ${r.stderr}`);
  };
  const a = path.join(tmp, 'a.wav'); const c = path.join(tmp, 'c.wav');
  run('espeak-ng', ['-v', 'en-us', '-s', '150', '-p', '40', '-w', a, agentSays]);
  run('espeak-ng', ['-v', 'en-us', '-s', '150', '-p', '60', '-w', c, callerSays]);
  const a8 = path.join(tmp, 'a8.wav'); const c8 = path.join(tmp, 'c8.wav');
  run('sox', [a, '-r', '8000', '-c', '1', '-b', '16', a8, 'pad', '0.5', '4.5']);
  run('sox', [c, '-r', '8000', '-c', '1', '-b', '16', c8, 'pad', '4', '0.5']);
  const out = path.join(tmp, 'dialogue.wav');
  run('sox', ['-M', c8, a8, out]);
  // siprec-load loops the file: the call lasts exactly one pass.
  const seconds = Number(spawnSync('sox', ['--i', '-D', out]).stdout.toString().trim());
  return { wav: out, ms: Math.floor(seconds * 1000) };
}

before(async () => {
  ({ browser, page } = await launch({ timeout: 15000 }, problems));
  await startSTT();
});

after(async () => {
  load?.kill();
  stt?.close();
  await browser?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function shot(name) {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
  await assertNoOverflow(page, name);
}

test('the provider chooses an OpenAI-compatible engine', async () => {
  await signInAs(page, base, provider);
  await page.goto(`${base}/admin/provider/speech`);
  await page.getByText('Engine not configured').waitFor();
  await page.getByLabel('Engine').selectOption('openai');
  await page.getByLabel('Server URL').fill(sttURL);
  await page.getByLabel('Model').fill('whisper-1');
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Save' }).click()]);
  await page.getByText('Transcribing with openai').waitFor();
  await shot('speech-settings');
});

test('a licensed agent\'s call shows its transcript in step with the player', { skip: !haveTools && 'espeak-ng and sox are needed' }, async () => {
  await signInAs(page, base, admin);
  await page.goto(`${base}/admin/users`);
  await page.getByRole('link', { name: 'Jordan Reyes', exact: true }).click();
  await page.getByLabel('Speech analytics license').check();
  await page.getByLabel('Advanced').check();
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Save' }).click()]);

  // Administration > AI / QA: a topic the agent's sentence mentions.
  await page.goto(`${base}/admin/analytics`);
  await page.getByText('No topics yet').waitFor();
  await page.getByLabel('Name').fill('Delivery');
  await page.getByLabel('Phrases').fill('delivered NEAR/2 friday');
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Add topic' }).click()]);
  await page.getByText('The topic was saved').waitFor();
  await page.getByRole('cell', { name: 'Delivery', exact: true }).waitFor();
  await shot('analytics-admin');

  const { wav, ms } = dialogue();
  load = spawn(bin, ['siprec-load', '--target', sipTarget, '--calls', '1', '--concurrency', '1', '--duration', `${ms}ms`, '--audio', wav]);
  await new Promise((resolve, reject) => load.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`siprec-load exited ${code}`)))));

  let callID = '';
  for (let i = 0; i < 60 && !callID; i++) {
    const list = await (await page.request.get(`${base}/api/v1/calls?limit=5`)).json();
    const call = list.items.find((c) => c.state === 'completed' && c.recorded);
    if (call) callID = call.id; else await page.waitForTimeout(500);
  }
  assert.ok(callID, 'the call is listed');
  await page.goto(`${base}/recordings/${callID}`);
  // transcript.js reloads the page when the transcript is ready.
  await page.locator('li.tline').nth(1).waitFor({ timeout: 60000 });
  // The stand-in answers the agent's sentence first and the caller's after,
  // whatever the segment; the energy detector may cut a sentence in two.
  const lines = page.locator('li.tline');
  const count = await lines.count();
  assert.ok(count >= 2, `${count} lines`);
  assert.match(await lines.nth(0).innerText(), /Jordan Reyes[\s\S]*friday afternoon/);
  const last = lines.nth(count - 1);
  assert.match(await last.innerText(), /Other party[\s\S]*help you today/);

  await page.locator('#player[data-ready="1"]').waitFor({ timeout: 30000 });
  await page.getByRole('button', { name: 'Play', exact: true }).click();
  await page.locator('li.tline.ch-agent.current').waitFor({ timeout: 10000 });
  await shot('transcript-playing');
  // Seek with the caller's line: it becomes the current one.
  const start = Number(await last.getAttribute('data-start'));
  await last.getByRole('button').click();
  await page.waitForFunction((ms) => window.callrecPlayer.getCurrentTime() * 1000 >= ms - 50, start);
  await page.locator('li.tline.ch-other.current').waitFor({ timeout: 10000 });
  assert.equal(await page.locator('li.tline.current').count(), 1);

  // The analysis card: the topic, with a button that plays from it.
  const card = page.locator('#call-insights');
  await card.getByRole('button', { name: /Play Delivery from/ }).waitFor();
  assert.match(await card.innerText(), /Sentiment: (positive|neutral|negative)/);

  // The dashboard's Sentiment tile, Topics and heatmap count the call.
  await page.goto(`${base}/dashboard`);
  const tile = page.getByRole('region', { name: 'Sentiment', exact: true });
  await tile.getByText(/over 1 analysed call ·/).waitFor();
  await tile.getByText('Delivery').waitFor();
  assert.equal(await page.locator('svg.heatmap rect:not(.s-none)').count(), 1);
  await shot('dashboard-insights');
  assert.deepEqual(problems, []);
});
