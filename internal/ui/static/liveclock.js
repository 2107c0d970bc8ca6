// A live call's duration counts up: each .live-clock starts from the
// milliseconds the server measured (data-elapsed, free of the browser's
// clock skew) and adds the time since it appeared. Rows the Recordings
// list swaps in are picked up at the next tick.
(function () {
  "use strict";
  function clock(ms) {
    var s = Math.floor(ms / 1000), h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60;
    s = s % 60;
    var mm = h > 0 ? (m < 10 ? "0" : "") + m : String(m);
    return (h > 0 ? h + ":" : "") + mm + ":" + (s < 10 ? "0" : "") + s;
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".live-clock[data-elapsed]").forEach(function (el) {
      if (!el.dataset.seen) { el.dataset.seen = String(now); }
      el.textContent = clock(Number(el.dataset.elapsed) + now - Number(el.dataset.seen));
    });
  }
  tick();
  setInterval(tick, 1000);
})();
