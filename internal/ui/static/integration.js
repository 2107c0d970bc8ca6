// Live progress for the Teams integration wizard, the PowerShell script
// preview and its Copy button. The pages work without it; it only saves
// reloading.
(function () {
  "use strict";
  var labels = { ok: ["badge-ok", "OK"], failed: ["badge-bad", "Failed"], running: ["badge-busy", "Running"], skipped: ["", "Skipped"], pending: ["", "Pending"] };

  function badge(status) {
    var l = labels[status] || labels.pending;
    var span = document.createElement("span");
    span.className = "badge" + (l[0] ? " " + l[0] : "");
    span.textContent = l[1];
    return span;
  }

  function apply(block, v) {
    var bar = block.querySelector("progress");
    var num = block.querySelector("[data-progress-num]");
    if (bar) { bar.value = v.progress; bar.textContent = v.progress + "%"; }
    if (num) { num.textContent = v.progress + "%"; }
    (v.steps || []).forEach(function (s) {
      var row = block.querySelector('tr[data-step="' + s.step + '"]');
      if (!row) { return; }
      row.querySelector("[data-message]").textContent = s.message;
      var cell = row.querySelector("[data-status]");
      if (cell.getAttribute("data-status") !== s.status) {
        cell.setAttribute("data-status", s.status);
        cell.replaceChildren(badge(s.status));
      }
    });
  }

  function poll(block) {
    var url = block.getAttribute("data-poll");
    var live = block.querySelector("[data-live]");
    function tick() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (v) {
          apply(block, v);
          if (v.job_state === "queued" || v.job_state === "running") {
            setTimeout(tick, 1500);
          } else {
            window.location.reload();
          }
        })
        .catch(function () {
          if (live) { live.textContent = "Lost contact with the server; retrying…"; }
          setTimeout(tick, 5000);
        });
    }
    setTimeout(tick, 1000);
  }

  document.querySelectorAll("[data-poll]").forEach(function (b) {
    if (b.getAttribute("data-poll")) { poll(b); }
  });

  document.querySelectorAll("pre[data-src]").forEach(function (pre) {
    fetch(pre.getAttribute("data-src"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (t) { pre.textContent = t; })
      .catch(function () { pre.textContent = "The script could not be loaded: use Download instead."; });
  });

  document.querySelectorAll("[data-copy]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var target = document.querySelector(btn.getAttribute("data-copy"));
      if (!target || !navigator.clipboard) { return; }
      navigator.clipboard.writeText(target.textContent).then(function () {
        btn.textContent = "Copied";
        setTimeout(function () { btn.textContent = "Copy"; }, 2000);
      });
    });
  });
})();
