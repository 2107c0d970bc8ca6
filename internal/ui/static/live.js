// Live monitoring on the call page: "Listen live" opens the call's audio
// WebSocket (GET /api/v1/calls/{id}/listen, same origin, session cookie)
// and plays its 20 ms frames through an AudioWorklet (live-worklet.js).
// Each frame carries when the recorder received it, so the page shows the
// delay it adds: transport (arrival − that time) + jitter buffer + output.
// The figures are also kept on the card's data attributes for tests.
(function () {
  "use strict";
  var card = document.getElementById("listen");
  if (!card) return;
  var btn = document.getElementById("listen-btn");
  var meterL = document.getElementById("level-l");
  var meterR = document.getElementById("level-r");
  var delayEl = document.getElementById("listen-delay");
  var statusEl = document.getElementById("listen-status");
  var ctx = null, node = null, ws = null;
  var transit = [], buffered = 0, frames = 0, paused = false;

  function status(text) { statusEl.textContent = text; }

  function median(xs) {
    var s = xs.slice().sort(function (a, b) { return a - b; });
    return s.length ? s[Math.floor(s.length / 2)] : 0;
  }

  function show() {
    if (!transit.length) return;
    var out = ctx ? 1000 * ((ctx.baseLatency || 0) + (ctx.outputLatency || 0)) : 0;
    var net = median(transit);
    var total = Math.round(net + buffered + out);
    delayEl.textContent = total + " ms";
    delayEl.title = "transport " + Math.round(net) + " ms + buffer " + Math.round(buffered) + " ms + output " + Math.round(out) + " ms";
    card.dataset.delay = String(total);
    card.dataset.transit = String(Math.round(net));
    card.dataset.frames = String(frames);
  }

  function stop(why) {
    if (ws) { ws.onclose = null; ws.close(); ws = null; }
    if (ctx) { ctx.close(); ctx = null; node = null; }
    btn.textContent = "Listen live";
    meterL.value = 0; meterR.value = 0;
    card.dataset.listening = "0";
    status(why || "Not listening");
  }

  async function start() {
    btn.disabled = true;
    status("Connecting…");
    try {
      ctx = new AudioContext({ latencyHint: "interactive" });
      await ctx.audioWorklet.addModule(card.dataset.worklet);
      node = new AudioWorkletNode(ctx, "live-player", { outputChannelCount: [2] });
      node.connect(ctx.destination);
      node.port.onmessage = function (e) {
        var m = e.data;
        meterL.value = Math.min(1, m.levelL);
        meterR.value = Math.min(1, m.levelR);
        card.dataset.level = String(Math.max(m.levelL, m.levelR));
        buffered = m.bufferedMs;
        show();
      };
      await ctx.resume();
    } catch (err) {
      stop("This browser cannot play live audio: " + err.message);
      btn.disabled = false;
      return;
    }
    var url = new URL(card.dataset.src, location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    ws.onopen = function () {
      btn.disabled = false;
      btn.textContent = "Stop listening";
      card.dataset.listening = "1";
      status("Listening");
    };
    ws.onmessage = function (e) {
      if (typeof e.data === "string") return; // the stream's description
      var dv = new DataView(e.data);
      var at = dv.getFloat64(8, true);
      transit.push(Date.now() - at);
      if (transit.length > 50) transit.shift();
      frames++;
      var p = (dv.getUint8(1) & 1) === 1;
      if (p !== paused) { paused = p; status(p ? "Listening — recording paused, nothing is heard" : "Listening"); }
      var pcm = new Int16Array(e.data.slice(16));
      node.port.postMessage({ pcm: pcm }, [pcm.buffer]);
    };
    ws.onclose = function (e) {
      btn.disabled = false;
      stop(e.code === 1000 ? "The call has ended" : "Live audio unavailable (" + (e.reason || "connection closed") + ")");
    };
  }

  btn.addEventListener("click", function () {
    if (ws || ctx) stop(); else start();
  });
})();
