// Pause and Resume on a live call's page, in place: the form is posted with
// fetch (its CSRF token included) and the parts of the page that show the
// recording's state — the header's badges, these controls and the paused
// spans — are taken from the page the post answers with. The page is not
// left, so Listen live goes on hearing the call. Without JavaScript the
// forms post and reload as before.
(function () {
  "use strict";
  var parts = ["rec-state", "rec-controls", "rec-pauses"];

  function swap(doc) {
    parts.forEach(function (name) {
      var sel = '[data-refresh="' + name + '"]';
      var now = document.querySelector(sel), next = doc.querySelector(sel);
      if (now && next) { now.replaceWith(document.importNode(next, true)); }
    });
  }

  function say(text) {
    var el = document.querySelector("[data-pause-status]");
    if (el) { el.textContent = text; }
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.closest('[data-refresh="rec-controls"]')) { return; }
    e.preventDefault();
    var btn = form.querySelector("button");
    if (btn) { btn.disabled = true; }
    fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      credentials: "same-origin",
      headers: { Accept: "text/html" }
    }).then(function (r) {
      return r.text().then(function (html) { return { status: r.status, html: html }; });
    }).then(function (res) {
      var doc = new DOMParser().parseFromString(res.html, "text/html");
      if (!doc.querySelector('[data-refresh="rec-state"]')) { res.status = 0; } // not the call page (signed out?)
      if (res.status === 200 || res.status === 409) { swap(doc); }
      var again = document.querySelector('[data-refresh="rec-controls"] button');
      if (res.status === 409) {
        say("Nothing changed: the call has ended or is already in that state.");
      } else if (res.status !== 200) {
        if (btn) { btn.disabled = false; }
        say("That did not work (HTTP " + res.status + "); reload the page and try again.");
        return;
      }
      if (again) { again.focus(); }
    }).catch(function () {
      if (btn) { btn.disabled = false; }
      say("callrec could not be reached; try again.");
    });
  });
})();
