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

  // finished shows the ended job where it ran: 100%, every step OK and
  // Close, instead of leaving for another page.
  function finished(block, live) {
    if (live) { live.textContent = "Finished."; }
    var tab = document.querySelector('.wizard-tabs [aria-current="step"]');
    if (tab) { tab.classList.add("done"); }
    var notice = document.querySelector("[data-notice]");
    if (notice) { notice.remove(); }
    var close = block.querySelector("[data-finished]");
    if (close) {
      close.hidden = false;
      var link = close.querySelector("a");
      if (link) { link.focus(); }
    }
  }

  // watch follows the job through the server's event stream: each step
  // flips as the worker records it. A failed job reloads the page, which
  // offers Retry.
  function watch(block) {
    var live = block.querySelector("[data-live]");
    var es = new EventSource(block.getAttribute("data-watch"));
    es.addEventListener("progress", function (e) {
      var v = JSON.parse(e.data);
      apply(block, v);
      if (v.job_state === "queued" || v.job_state === "running") {
        if (live) { live.textContent = "Updating live…"; }
        return;
      }
      es.close();
      if (v.job_state === "done") { finished(block, live); } else { window.location.reload(); }
    });
    es.onerror = function () {
      if (es.readyState !== EventSource.CLOSED && live) { live.textContent = "Lost contact with the server; reconnecting…"; }
    };
  }

  document.querySelectorAll("[data-watch]").forEach(function (b) {
    if (b.getAttribute("data-watch") && window.EventSource) { watch(b); }
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
