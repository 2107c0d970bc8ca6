// Call page: the transcript follows the player — the line being spoken is
// highlighted while the call plays (lines' timestamps seek, through
// recording.js's button.seek) — and while the call is being transcribed
// the progress is polled until the transcript is ready.
(function () {
  "use strict";
  var card = document.getElementById("transcript");
  if (!card) { return; }

  // A call just stored (or still being stored) is polled too: its job
  // appears when the recording lands.
  var status = card.dataset.status;
  if (status === "queued" || status === "running" || status === "not_stored") {
    var progress = document.getElementById("tr-progress");
    var poll = function () {
      fetch(card.dataset.src, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (t) {
          if (!t) { return; }
          if (t.status === "done" || t.status === "failed") { window.location.reload(); return; }
          if (progress && (t.status === "queued" || t.status === "running")) { progress.textContent = "Transcribing… " + t.progress + "%"; }
          if (t.status !== status && t.status !== "queued" && t.status !== "running") { window.location.reload(); return; }
          window.setTimeout(poll, 3000);
        })
        .catch(function () { window.setTimeout(poll, 10000); });
    };
    window.setTimeout(poll, 3000);
  }

  var lines = Array.prototype.slice.call(card.querySelectorAll("li.tline"));
  if (!lines.length) { return; }
  var current = null;
  function highlight(ms) {
    var found = null;
    for (var i = 0; i < lines.length; i++) {
      var l = lines[i];
      if (ms >= Number(l.dataset.start) && ms < Number(l.dataset.end) + 300) { found = l; }
    }
    if (found === current) { return; }
    if (current) { current.classList.remove("current"); current.removeAttribute("aria-current"); }
    current = found;
    if (current) {
      current.classList.add("current");
      current.setAttribute("aria-current", "true");
      var list = current.parentElement;
      if (current.offsetTop < list.scrollTop || current.offsetTop + current.offsetHeight > list.scrollTop + list.clientHeight) {
        list.scrollTop = current.offsetTop - list.offsetTop - 8;
      }
    }
  }
  // recording.js creates the player after this script may run; wait for it.
  var tries = 0;
  (function attach() {
    var ws = window.callrecPlayer;
    if (!ws) {
      if (++tries < 100) { window.setTimeout(attach, 100); }
      return;
    }
    ws.on("timeupdate", function (t) { highlight(t * 1000); });
    ws.on("seeking", function (t) { highlight(t * 1000); });
  })();
})();
