// A SIPREC test call from `callrec siprec-load`: one recorded two-stream
// call of the demo's agent (extension 2001) to target for seconds.
import { spawn } from 'node:child_process';

// startCall starts the call; proc is the load generator (kill it to clean
// up), done resolves with its JSON summary when the call hangs up.
export function startCall(bin, target, seconds) {
  const proc = spawn(bin, ['siprec-load', '--target', target, '--calls', '1', '--concurrency', '1', '--duration', `${seconds}s`]);
  const done = new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => { out += d; });
    proc.on('error', reject);
    proc.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`siprec-load exited ${code}: ${out}`))));
  });
  return { proc, done };
}
