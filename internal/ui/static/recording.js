// Call page: the waveform player (wavesurfer.js, vendored) with seeking and
// speed, markers for notes and paused spans, and notes that take the
// player's current moment.
(function () {
  "use strict";
  function clock(sec) {
    sec = Math.max(0, Math.floor(sec));
    var h = Math.floor(sec / 3600), m = Math.floor(sec / 60) % 60, s = sec % 60;
    var mm = h > 0 && m < 10 ? "0" + m : String(m);
    return (h > 0 ? h + ":" : "") + mm + ":" + (s < 10 ? "0" : "") + s;
  }

  var player = document.getElementById("player");
  var at = document.getElementById("n-at");
  var total = player ? Number(player.dataset.duration) || 0 : 0;

  document.querySelectorAll(".marks span").forEach(function (m) {
    if (!total) { return; }
    var start = Number(m.dataset.start), end = m.dataset.end ? Number(m.dataset.end) : start;
    m.style.left = (100 * start / total) + "%";
    if (m.classList.contains("mark-pause")) { m.style.width = (100 * Math.max(0, end - start) / total) + "%"; }
  });

  if (!player || !window.WaveSurfer) { return; }
  var playBtn = document.getElementById("play");
  var time = document.getElementById("time");
  var speed = document.getElementById("speed");
  var status = document.getElementById("player-status");

  // wavesurfer puts a <style> in its shadow root, which the CSP refuses
  // (and reports); strip it while the player is made: recordings.css
  // styles the same parts with ::part().
  var attach = Element.prototype.attachShadow;
  var inner = Object.getOwnPropertyDescriptor(ShadowRoot.prototype, "innerHTML");
  Element.prototype.attachShadow = function (init) {
    var root = attach.call(this, init);
    Object.defineProperty(root, "innerHTML", {
      configurable: true,
      get: function () { return inner.get.call(root); },
      set: function (html) { inner.set.call(root, String(html).replace(/<style[^>]*>[\s\S]*?<\/style>/g, "")); }
    });
    return root;
  };
  var ws;
  try {
    ws = window.WaveSurfer.create({
    container: "#wave",
    url: player.dataset.src,
    height: 96,
    waveColor: "#9db3ea",
    progressColor: "#1f4fd1",
    cursorColor: "#172033",
    cursorWidth: 2,
    barWidth: 2,
    barGap: 1,
    barRadius: 2,
    normalize: true,
    // A MIME type the media element cannot play makes wavesurfer give it
    // the URL rather than a blob: URL, which the CSP does not allow.
    blobMimeType: "application/octet-stream"
    });
  } finally {
    Element.prototype.attachShadow = attach;
  }
  window.callrecPlayer = ws;

  // The CSP refuses wavesurfer's own <style>; place its canvases here.
  function layout() {
    var wrapper = ws.getWrapper();
    if (!wrapper) { return; }
    wrapper.querySelectorAll("canvas").forEach(function (c) {
      c.style.position = "absolute";
      c.style.top = "0";
      c.style.display = "block";
    });
    wrapper.querySelectorAll("div").forEach(function (d) {
      if (d.parentElement && d.parentElement.getAttribute("part") === "canvases") { d.style.position = "relative"; }
    });
  }
  ws.on("redrawcomplete", layout);

  function show() {
    var t = ws.getCurrentTime();
    time.textContent = clock(t) + " / " + clock(ws.getDuration() || total / 1000);
    if (at && document.activeElement !== at) { at.value = clock(t); }
  }
  ws.on("ready", function () {
    layout();
    playBtn.disabled = false;
    status.textContent = "";
    player.dataset.ready = "1";
    show();
  });
  ws.on("error", function () { status.textContent = "The audio could not be loaded."; });
  ws.on("timeupdate", show);
  ws.on("play", function () { playBtn.textContent = "Pause"; });
  ws.on("pause", function () { playBtn.textContent = "Play"; });
  ws.on("finish", function () { playBtn.textContent = "Play"; });
  playBtn.addEventListener("click", function () { ws.playPause(); });
  speed.addEventListener("change", function () { ws.setPlaybackRate(Number(speed.value), true); });
  document.querySelectorAll("button.seek").forEach(function (b) {
    b.addEventListener("click", function () {
      ws.setTime(Number(b.dataset.ms) / 1000);
      player.scrollIntoView({ behavior: "smooth", block: "center" });
    });
  });
})();
