// AudioWorklet of live monitoring: plays 8 kHz stereo PCM frames posted by
// live.js through a small jitter buffer. Playback starts once 60 ms are
// buffered; an underrun plays silence and primes again; more than 200 ms
// buffered (the tab was busy) skips ahead, so the delay stays bounded.
const RATE = 8000;
const RING = RATE; // one second per channel
const START = RATE * 0.06;
const CAP = RATE * 0.2;

class LivePlayer extends AudioWorkletProcessor {
  constructor() {
    super();
    this.l = new Float32Array(RING);
    this.r = new Float32Array(RING);
    this.w = 0; // samples written (monotonic)
    this.rd = 0; // read position in samples (fractional when resampling)
    this.step = RATE / sampleRate;
    this.playing = false;
    this.peakL = 0;
    this.peakR = 0;
    this.underruns = 0;
    this.since = 0;
    this.port.onmessage = (e) => {
      const p = e.data.pcm;
      if (this.w - this.rd + p.length / 2 > RING) this.rd = this.w - START;
      for (let i = 0; i + 1 < p.length; i += 2) {
        const k = this.w % RING;
        this.l[k] = p[i] / 32768;
        this.r[k] = p[i + 1] / 32768;
        this.w++;
      }
    };
  }

  process(inputs, outputs) {
    const out = outputs[0];
    const L = out[0];
    const R = out[1] || out[0];
    if (!this.playing && this.w - this.rd >= START) this.playing = true;
    if (this.playing && this.w - this.rd > CAP) this.rd = this.w - START;
    for (let i = 0; i < L.length; i++) {
      if (!this.playing || this.w - this.rd < 2) {
        if (this.playing) { this.playing = false; this.underruns++; }
        L[i] = 0; R[i] = 0;
        continue;
      }
      const i0 = Math.floor(this.rd);
      const f = this.rd - i0;
      const k0 = i0 % RING;
      const k1 = (i0 + 1) % RING;
      const a = this.l[k0] + (this.l[k1] - this.l[k0]) * f;
      const b = this.r[k0] + (this.r[k1] - this.r[k0]) * f;
      L[i] = a; R[i] = b;
      this.peakL = Math.max(this.peakL, Math.abs(a));
      this.peakR = Math.max(this.peakR, Math.abs(b));
      this.rd += this.step;
    }
    this.since += L.length;
    if (this.since >= sampleRate / 10) {
      this.port.postMessage({ levelL: this.peakL, levelR: this.peakR, bufferedMs: (this.w - this.rd) * 1000 / RATE,
        underruns: this.underruns, playing: this.playing });
      this.peakL = 0; this.peakR = 0; this.since = 0;
    }
    return true;
  }
}

registerProcessor('live-player', LivePlayer);
