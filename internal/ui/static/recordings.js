// Recordings list: the custom date range appears only when chosen, and the
// first page refreshes its rows when a call starts, ends or changes, from
// the server-sent events of /api/v1/events.
(function () {
  "use strict";
  var range = document.getElementById("f-range");
  var custom = document.getElementById("f-custom");
  if (range && custom) {
    var sync = function () {
      var on = range.value === "custom";
      custom.hidden = !on;
      custom.querySelectorAll("input").forEach(function (i) { i.disabled = !on; });
    };
    range.addEventListener("change", sync);
    sync();
    range.form.addEventListener("submit", function () {
      if (range.value === "custom") { range.disabled = true; }
    });
  }

  var table = document.getElementById("rec-table");
  var body = document.getElementById("rec-rows");
  var status = document.getElementById("rec-live");
  if (!table || !body || !table.dataset.live || !window.EventSource) { return; }
  var url = new URL(table.dataset.live, location.href);
  url.searchParams.set("partial", "rows");
  var timer = null;
  var busy = false;

  function refresh() {
    timer = null;
    if (busy) { schedule(); return; }
    busy = true;
    var before = {};
    body.querySelectorAll("tr[data-id]").forEach(function (tr) { before[tr.dataset.id] = tr.className; });
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (res) { if (!res.ok) { throw new Error(res.status); } return res.text(); })
      .then(function (html) {
        body.innerHTML = html;
        body.querySelectorAll("tr[data-id]").forEach(function (tr) {
          if (before[tr.dataset.id] === undefined) { tr.classList.add("flash-new"); }
        });
        if (status) { status.textContent = "Updated " + new Date().toLocaleTimeString(); }
        document.dispatchEvent(new CustomEvent("recordings:updated"));
      })
      .catch(function () { if (status) { status.textContent = "Live updates paused: reload to retry"; } })
      .finally(function () { busy = false; });
  }
  function schedule() { if (!timer) { timer = setTimeout(refresh, 250); } }

  var es = new EventSource("/api/v1/events");
  ["call.started", "call.ended", "call.stored", "call.updated", "call.deleted", "call.paused", "call.resumed", "lagged"].forEach(function (kind) {
    es.addEventListener(kind, schedule);
  });
  // The server subscribes before it answers, so reading the rows once the
  // stream is open (and again after each reconnect) catches a call that
  // started between the page's render and the subscription.
  var opened = false;
  es.addEventListener("open", function () {
    if (opened) { schedule(); } else { opened = true; refresh(); }
    table.dataset.connected = "1";
  });
})();
