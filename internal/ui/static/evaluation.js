// Call page, evaluation panel: "Pin" writes the player's current moment
// into an answer, and an address ending in #t=<ms> (from an evaluation's
// page) starts the player there.
(function () {
  "use strict";
  function clock(sec) {
    sec = Math.max(0, Math.floor(sec));
    var h = Math.floor(sec / 3600), m = Math.floor(sec / 60) % 60, s = sec % 60;
    var mm = h > 0 && m < 10 ? "0" + m : String(m);
    return (h > 0 ? h + ":" : "") + mm + ":" + (s < 10 ? "0" : "") + s;
  }
  document.querySelectorAll("button.qa-pin").forEach(function (b) {
    b.addEventListener("click", function () {
      var ws = window.callrecPlayer, input = document.getElementById(b.dataset.for);
      if (!input) { return; }
      input.value = clock(ws ? ws.getCurrentTime() : 0);
    });
  });
  var m = /^#t=(\d+)$/.exec(window.location.hash);
  if (!m) { return; }
  var at = Number(m[1]) / 1000;
  function seek() {
    var ws = window.callrecPlayer, player = document.getElementById("player");
    if (!ws || !player || player.dataset.ready !== "1") { return false; }
    ws.setTime(at);
    player.scrollIntoView({ block: "center" });
    return true;
  }
  var tries = 0, timer = setInterval(function () {
    if (seek() || ++tries > 100) { clearInterval(timer); }
  }, 100);
})();
