// Bulk exports: every box with data-progress-url asks the server for the job's progress every
// second or so and moves its bar; when the job ends the page reloads to show the download (or
// what went wrong). Without JavaScript the page refreshes itself (<noscript> meta refresh).
(function () {
  "use strict";
  var NUMBER = new Intl.NumberFormat("vi-VN");
  // The badge classes of templates/jobs/_macros.html, by status.
  var BADGES = {
    queued: "text-bg-secondary", running: "text-bg-primary", done: "text-bg-success",
    failed: "text-bg-danger", expired: "text-bg-light border"
  };

  function watch(box) {
    var url = box.getAttribute("data-progress-url");
    var bar = box.querySelector("progress");
    var count = box.querySelector("[data-progress-count]");
    var stage = box.querySelector("[data-progress-stage]");
    var delay = 1000;

    function show(data) {
      bar.max = Math.max(data.total, 1);
      bar.value = data.done;
      bar.textContent = data.percent + "%";
      if (count) count.textContent = NUMBER.format(data.done) + "/" + NUMBER.format(data.total);
      if (stage) stage.textContent = data.stage;
      document.querySelectorAll('[data-job-status="' + data.id + '"]').forEach(function (badge) {
        badge.textContent = data.status_label;
        badge.className = "badge " + (BADGES[data.status] || "text-bg-secondary");
      });
    }

    function tick() {
      if (document.hidden) {  // a tab in the background asks nothing until it is looked at again
        window.setTimeout(tick, delay);
        return;
      }
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (response.status === 404) return null;  // not (or no longer) this user's job: stop asking
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (data) {
          if (data === null) return;
          show(data);
          if (data.finished) {
            window.location.reload();
            return;
          }
          delay = 1000;
          window.setTimeout(tick, delay);
        })
        .catch(function () {
          delay = Math.min(delay * 2, 15000);  // the server is busy or restarting: ask less often
          window.setTimeout(tick, delay);
        });
    }

    window.setTimeout(tick, delay);
  }

  document.querySelectorAll("[data-progress-url]").forEach(watch);
})();
