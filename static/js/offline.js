// Working without a signal (issue 19), on every page:
// - registers the service worker (static/sw.js) and says when a new version is ready;
// - shows the state: offline, entries waiting on this phone, the last successful sync;
// - on the entry form without a connection, keeps the entry (photos made smaller) in IndexedDB
//   with its own id, to be sent when the connection returns (Background Sync, or this page);
// - lists the waiting entries in the month and the timeline, with the reason when the server
//   refused one (and a way to fix it) and both versions when an edit met a newer one;
// - at logout, warns about unsent entries, then removes this person's pages and entries.
/* global SNKOutbox */
(function () {
  "use strict";
  var Outbox = window.SNKOutbox;
  var statusBox = document.getElementById("offline-status");
  var storage = null;
  try { storage = window.localStorage; } catch (e) { storage = null; }
  var userId = statusBox && statusBox.getAttribute("data-user-id");
  if (!userId && storage && !document.getElementById("login")) userId = storage.getItem("snk-user");
  var PAGES_CACHE = "snk-pages";
  var MAX_SIDE = 1600;
  var MAX_FILES = 5;
  var MAX_BYTES = 10 * 1024 * 1024;
  var lastReport = null;
  // navigator.onLine says only that a network is there, not that the server answers (a weak
  // signal, a captive portal): the server is asked before a form is posted, and sending says.
  var reachable = navigator.onLine && !document.documentElement.hasAttribute("data-offline-copy");
  var waitingCount = 0;

  // ---- small helpers ----------------------------------------------------------------------------

  function h(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function two(n) { return (n < 10 ? "0" : "") + n; }

  function vnDateTime(iso) {
    var d = new Date(iso);
    return two(d.getHours()) + ":" + two(d.getMinutes()) + " ngày " + two(d.getDate()) + "/" +
      two(d.getMonth() + 1) + "/" + d.getFullYear();
  }

  // "08/05/2013" or "2013-05-08" -> [2013, 5, 8]
  function parseDay(text) {
    var m = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s*$/.exec(text || "");
    if (m) return [Number(m[3]), Number(m[2]), Number(m[1])];
    m = /^\s*(\d{4})-(\d{2})-(\d{2})\s*$/.exec(text || "");
    return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
  }

  function titleOf(record) {
    var text = (record.fields.action || "").trim().split("\n")[0];
    if (!text) return "(chưa có nội dung)";
    return text.length <= 90 ? text : text.slice(0, 87) + "…";
  }

  function worker() {
    return navigator.serviceWorker && navigator.serviceWorker.controller;
  }

  function tellWorker(message) {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.ready.then(function (reg) { if (reg.active) reg.active.postMessage(message); });
  }

  // ---- the service worker and its updates ---------------------------------------------------------

  var reloadAsked = false;

  function showUpdate(waiting) {
    if (document.getElementById("app-update")) return;
    var button = h("button", { type: "button", class: "btn btn-sm btn-primary ms-2", text: "Tải lại để dùng" });
    var box = h("div", { id: "app-update", class: "alert alert-info container-lg my-2 py-2", role: "status" }, [
      "Đã có phiên bản mới của ứng dụng.", button,
    ]);
    button.addEventListener("click", function () {
      reloadAsked = true;
      waiting.postMessage({ type: "skip-waiting" });
    });
    var main = document.getElementById("main");
    if (main) main.parentNode.insertBefore(box, main);
  }

  function watchUpdates(reg) {
    if (reg.waiting && worker()) showUpdate(reg.waiting);
    reg.addEventListener("updatefound", function () {
      var installing = reg.installing;
      if (!installing) return;
      installing.addEventListener("statechange", function () {
        if (installing.state === "installed" && worker()) showUpdate(installing);
      });
    });
  }

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(watchUpdates).catch(function () {
      /* no worker (private mode): the app works online as before */
    });
    navigator.serviceWorker.addEventListener("controllerchange", function () {
      if (reloadAsked) { reloadAsked = false; window.location.reload(); }
    });
    navigator.serviceWorker.addEventListener("message", function (event) {
      var data = event.data || {};
      if (data.type === "outbox-changed") refresh();
      if (data.type === "warmed") document.documentElement.setAttribute("data-offline-ready", data.ok ? "1" : "0");
    });
  }

  // ---- whose phone this is ------------------------------------------------------------------------

  function forgetPages() {
    tellWorker({ type: "forget-pages" });
    return window.caches ? window.caches.delete(PAGES_CACHE).catch(function () {}) : Promise.resolve();
  }

  function forgetUser(id) {
    if (storage) {
      Object.keys(storage).forEach(function (key) {
        if (key.indexOf("entry-draft:" + id + ":") === 0) storage.removeItem(key);
      });
      storage.removeItem("snk-user");
    }
    return Promise.all([forgetPages(), Outbox ? Outbox.removeUser(id) : null]);
  }

  if (statusBox && statusBox.getAttribute("data-user-id") && storage) {
    var previous = storage.getItem("snk-user");
    // Another person signed in on this browser: the kept pages were the other person's.
    if (previous && previous !== userId) forgetPages();
    storage.setItem("snk-user", userId);
    if (navigator.onLine) tellWorker({ type: "warm" });
  }

  // ---- the state ------------------------------------------------------------------------------

  function renderStatus(records, last) {
    if (!statusBox) return;
    var waiting = records.filter(function (r) { return r.state === "pending"; }).length;
    var stuck = records.length - waiting;
    var offline = !reachable;
    waitingCount = waiting;
    statusBox.textContent = "";
    statusBox.setAttribute("data-waiting", String(waiting));
    statusBox.setAttribute("data-stuck", String(stuck));
    var sent = lastReport && lastReport.sent;
    // Shown while something waits or there is no connection, and for a while after a sync.
    var recent = last && Date.now() - new Date(last).getTime() < 15 * 60 * 1000;
    if (!offline && !records.length && !sent && !recent) { statusBox.hidden = true; return; }
    var spoken = [];
    var line = h("div", { class: "container-lg d-flex flex-wrap align-items-center gap-2 py-1 small" });
    if (offline) {
      line.appendChild(h("span", { class: "badge text-bg-dark", text: "Đang ngoại tuyến" }));
      spoken.push("Đang ngoại tuyến, không có kết nối mạng");
    }
    if (waiting) {
      line.appendChild(h("span", { class: "badge text-bg-warning", text: waiting + " bài chờ gửi" }));
      spoken.push(waiting + " bài chờ gửi");
    }
    if (stuck) {
      line.appendChild(h("a", { class: "badge text-bg-danger", href: "/diary/timeline", text: stuck + " bài cần bạn xem lại" }));
      spoken.push(stuck + " bài không gửi được, cần bạn xem lại");
    }
    if (waiting && lastReport && lastReport.signedOut) {
      line.appendChild(h("a", { href: "/login", text: "Đăng nhập lại để gửi bài" }));
      spoken.push("cần đăng nhập lại để gửi bài");
    }
    if (sent) {
      line.appendChild(h("span", { text: "Đã gửi " + sent + " bài." }));
      spoken.push("Đã gửi " + sent + " bài");
    }
    var lastText = last ? "Đồng bộ lần cuối: " + vnDateTime(last) : "Chưa đồng bộ lần nào trên máy này";
    line.appendChild(h("span", { class: "text-secondary", text: lastText }));
    spoken.push(last ? "đồng bộ thành công lần cuối lúc " + vnDateTime(last) : "chưa đồng bộ lần nào");
    statusBox.appendChild(line);
    statusBox.setAttribute("aria-label", "Trạng thái đồng bộ: " + spoken.join("; "));
    statusBox.hidden = false;
  }

  function refresh() {
    if (!Outbox || !userId) { renderStatus([], null); return Promise.resolve(); }
    return Promise.all([Outbox.all(userId), Outbox.lastSync(userId)]).then(function (pair) {
      renderStatus(pair[0], pair[1]);
      renderPending(pair[0]);
    }).catch(function () { /* no IndexedDB */ });
  }

  // ---- the waiting entries, in the month and the timeline ------------------------------------------

  function versionList(title, values) {
    var list = h("dl", { class: "small mb-0" });
    [["Ngày", values.deed_date], ["Địa điểm", values.place], ["Việc đã làm", values.action],
      ["Kết quả", values.result], ["Bài học", values.lesson]].forEach(function (pair) {
      list.appendChild(h("dt", { text: pair[0] }));
      list.appendChild(h("dd", { class: "text-pre", text: pair[1] || "—" }));
    });
    return h("div", { class: "col-sm-6" }, [h("h3", { class: "h6", text: title }), list]);
  }

  function card(record) {
    var day = parseDay(record.fields.deed_date);
    var dayText = day ? two(day[2]) + "/" + two(day[1]) + "/" + day[0] : record.fields.deed_date;
    var files = (record.files || []).length;
    var badge;
    if (record.state === "refused") badge = h("span", { class: "badge text-bg-danger", text: "Không gửi được" });
    else if (record.state === "conflict") badge = h("span", { class: "badge text-bg-danger", text: "Xung đột: bài đã được sửa ở nơi khác" });
    else badge = h("span", { class: "badge text-bg-warning", text: "Chưa gửi — sẽ tự gửi khi có mạng" });
    var body = h("div", { class: "card-body py-2" }, [
      h("div", { class: "d-flex flex-wrap gap-2 align-items-center small mb-1" }, [
        badge,
        h("span", { class: "text-secondary", text: "Ngày " + dayText + (files ? " · " + files + " tệp minh chứng" : "") +
          (record.submit ? "" : " · bản nháp") }),
      ]),
      h("p", { class: "mb-1 fw-semibold", text: titleOf(record) }),
    ]);
    if (record.state === "refused") {
      body.appendChild(h("p", { class: "text-danger small mb-2", text: "Lý do: " + (record.message || "") }));
      var actions = h("div", { class: "d-flex flex-wrap gap-2" }, [
        h("a", { class: "btn btn-sm btn-primary", href: (record.form_url || "/diary/entries/new") + "#offline=" + record.client_id, text: "Sửa lại bài" }),
        h("button", { type: "button", class: "btn btn-sm btn-outline-danger", "data-discard": record.client_id, text: "Xóa khỏi máy" }),
      ]);
      body.appendChild(actions);
    } else if (record.state === "conflict" && record.server) {
      body.appendChild(h("p", { class: "small mb-2", text: record.message || "" }));
      body.appendChild(h("div", { class: "row g-3 mb-2" }, [
        versionList("Bản trên máy chủ (sửa lúc " + record.server.updated_at + ")", record.server),
        versionList("Bản bạn sửa trên máy này", record.fields),
      ]));
      body.appendChild(h("div", { class: "d-flex flex-wrap gap-2" }, [
        h("button", { type: "button", class: "btn btn-sm btn-primary", "data-keep-mine": record.client_id, text: "Giữ bản của tôi" }),
        h("button", { type: "button", class: "btn btn-sm btn-outline-secondary", "data-discard": record.client_id, text: "Dùng bản trên máy chủ" }),
      ]));
    }
    return h("article", { class: "card mb-2 offline-entry is-" + record.state, "data-client-id": record.client_id }, [body]);
  }

  function renderPending(records) {
    var section = document.getElementById("offline-pending");
    if (!section) return;
    var unit = Number(section.getAttribute("data-unit-id"));
    var year = Number(section.getAttribute("data-year"));
    var month = Number(section.getAttribute("data-month"));
    var shown = records.filter(function (r) {
      if (Number(r.unit_id) !== unit) return false;
      if (!year) return true;
      var day = parseDay(r.fields.deed_date);
      return !day || (day[0] === year && day[1] === month) || r.state !== "pending";
    });
    section.textContent = "";
    section.hidden = !shown.length;
    if (!shown.length) return;
    section.appendChild(h("h2", { class: "h6 mt-2", text: "Bài đang giữ trên máy này (" + shown.length + ")" }));
    shown.forEach(function (r) { section.appendChild(card(r)); });
  }

  document.addEventListener("click", function (event) {
    var discard = event.target.closest && event.target.closest("[data-discard]");
    var keep = event.target.closest && event.target.closest("[data-keep-mine]");
    if (discard) {
      if (!window.confirm("Xóa bài này khỏi máy? Nội dung chưa gửi sẽ mất.")) return;
      Outbox.remove(discard.getAttribute("data-discard")).then(refresh);
    } else if (keep) {
      // The member has seen both versions and keeps theirs: sent again on the newer version.
      Outbox.get(keep.getAttribute("data-keep-mine")).then(function (record) {
        if (!record || !record.server) return;
        record.lock_version = record.server.lock_version;
        record.state = "pending";
        record.server = null;
        record.message = null;
        return Outbox.put(record).then(sync);
      });
    }
  });

  // ---- sending ------------------------------------------------------------------------------

  function setReachable(value) {
    var changed = value !== reachable;
    reachable = value;
    if (changed) refresh();
  }

  // Whether the server answers now (within 5 seconds).
  function probe() {
    if (!navigator.onLine) { setReachable(false); return Promise.resolve(false); }
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, 5000) : null;
    return fetch("/healthz", { cache: "no-store", credentials: "same-origin", signal: controller ? controller.signal : undefined })
      .then(function (response) { return response.ok; }, function () { return false; })
      .then(function (ok) { if (timer) clearTimeout(timer); setReachable(ok); return ok; });
  }

  var syncing = false;

  function sync() {
    if (!Outbox || !userId || syncing || !navigator.onLine) return Promise.resolve();
    syncing = true;
    return Outbox.flush().then(function (report) {
      syncing = false;
      setReachable(!report.offline);
      if (report.sent || report.refused || report.conflicts || report.signedOut) lastReport = report;
      document.documentElement.setAttribute("data-last-sync-report", JSON.stringify(report));
      // What was sent now shows in the kept pages too.
      if (report.sent) tellWorker({ type: "warm", force: true });
      return refresh();
    }, function () { syncing = false; });
  }

  function askBackgroundSync() {
    if (!("serviceWorker" in navigator)) return Promise.resolve();
    return navigator.serviceWorker.ready.then(function (reg) {
      return reg.sync ? reg.sync.register(Outbox.TAG) : null;
    }).catch(function () { /* Background Sync refused: the next open sends */ });
  }

  window.addEventListener("online", function () { setReachable(true); sync(); });
  window.addEventListener("offline", function () { setReachable(false); });
  // While something waits, try again every 10 seconds (the "online" event does not come when
  // the network was there all along but the server was not reachable).
  setInterval(function () {
    if (waitingCount && !(lastReport && lastReport.signedOut)) sync();
  }, 10000);
  window.addEventListener("outbox-changed", refresh);
  if (window.BroadcastChannel) {
    try { new BroadcastChannel("sonhatky-outbox").onmessage = refresh; } catch (e) { /* old browser */ }
  }

  // ---- the entry form without a connection -----------------------------------------------------------

  function shrink(file) {
    var original = { name: file.name, type: file.type, blob: file };
    if (!/^image\//.test(file.type) || !window.createImageBitmap) return Promise.resolve(original);
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      var context = canvas.getContext("2d");
      context.fillStyle = "#fff";
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", 0.85); });
    }).then(function (blob) {
      if (!blob) return original;
      return { name: file.name.replace(/\.[^.]*$/, "") + ".jpg", type: "image/jpeg", blob: blob };
    }).catch(function () { return original; });
  }

  function fieldError(form, name, message) {
    var input = form.elements.namedItem(name);
    var target = input && input.length && !input.tagName ? input[0] : input;
    var box = h("div", { class: "invalid-feedback d-block offline-error", id: name + "-offline-error", text: message });
    if (target && target.parentNode) {
      if (target.classList) target.classList.add("is-invalid");
      target.parentNode.appendChild(box);
      if (target.setAttribute) target.setAttribute("aria-describedby", box.id);
      if (target.focus) target.focus();
    } else {
      form.insertBefore(box, form.firstChild);
    }
  }

  function setupForm(form) {
    var fixMatch = /^#offline=([0-9a-f-]{36})$/.exec(window.location.hash);
    var fixing = null;
    var say = document.getElementById("autosave-status");
    var names = ["deed_date", "place", "action", "result", "lesson"];
    function el(name) { return form.elements.namedItem(name); }

    if (fixMatch && Outbox) {
      Outbox.get(fixMatch[1]).then(function (record) {
        if (!record) return;
        fixing = record;
        names.forEach(function (name) { if (el(name)) el(name).value = record.fields[name] || ""; });
        form.querySelectorAll("input[name=commitment_ids]").forEach(function (box) {
          box.checked = (record.commitment_ids || []).indexOf(box.value) !== -1;
        });
        var count = (record.files || []).length;
        var drop = count ? h("button", { type: "button", class: "btn btn-sm btn-outline-secondary ms-1", text: "Bỏ các tệp này" }) : null;
        var note = h("div", { class: "alert alert-warning", role: "alert" }, [
          "Bạn đang sửa một bài giữ trên máy này, chưa gửi được. " +
          (count ? "Đã có " + count + " tệp minh chứng trên máy; tệp chọn thêm sẽ được gửi cùng." : ""),
          drop,
        ]);
        if (drop) {
          // A refused file cannot be fixed, only left out (and another one chosen).
          drop.addEventListener("click", function () {
            fixing.files = [];
            note.textContent = "Bạn đang sửa một bài giữ trên máy này, chưa gửi được. Các tệp đã giữ sẽ không được gửi.";
          });
        }
        form.parentNode.insertBefore(note, form);
        if (record.message) fieldError(form, record.field || "action", record.message);
      });
    }

    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-post-online")) return; // the server answers: the form posts as always
      // Online, on a page the server sent: post as always, with no round trip first. Only when the
      // connection is gone (or this page is a kept copy, or a refused entry is being fixed) is the
      // server asked first, and the entry kept on the phone if it does not answer.
      if (!fixing && reachable && navigator.onLine) return;
      event.preventDefault();
      var submitter = event.submitter;
      (fixing ? Promise.resolve(false) : probe()).then(function (ok) {
        if (!ok) { keep(submitter); return; }
        form.setAttribute("data-post-online", "1");
        if (form.requestSubmit) form.requestSubmit(submitter); else form.submit();
      });
    });

    // Keep the entry on this phone (no connection, or fixing an entry the server refused).
    function keep(submitter) {
      form.querySelectorAll(".offline-error").forEach(function (node) { node.remove(); });
      form.querySelectorAll(".is-invalid").forEach(function (node) { node.classList.remove("is-invalid"); });
      var submit = !(submitter && submitter.name === "save_draft");
      var fields = {};
      names.forEach(function (name) { fields[name] = el(name) ? el(name).value : ""; });
      if (!parseDay(fields.deed_date)) { fieldError(form, "deed_date", "Vui lòng nhập ngày thực hiện dạng ngày/tháng/năm, ví dụ 08/05/2026."); return; }
      if (submit && !fields.action.trim()) { fieldError(form, "action", "Vui lòng ghi việc đã làm."); return; }
      var chosen = Array.prototype.slice.call((el("evidence") && el("evidence").files) || []);
      var kept = fixing ? fixing.files || [] : [];
      if (kept.length + chosen.length > MAX_FILES) { fieldError(form, "evidence", "Mỗi bài tối đa " + MAX_FILES + " tệp minh chứng."); return; }
      var boxes = form.querySelectorAll("input[name=commitment_ids]:checked");
      var entryId = null;
      // No more drafts to the server from this form; one in flight may still name the draft it
      // made, which this entry then continues (instead of a second entry beside the draft).
      form.setAttribute("data-kept-offline", "1");
      Promise.resolve(form.autosaveInFlight).catch(function () {}).then(function () {
        entryId = (el("entry_id") && el("entry_id").value) || null;
        return Promise.all(chosen.map(shrink));
      }).then(function (files) {
        var big = files.filter(function (f) { return f.blob.size > MAX_BYTES; });
        if (big.length) {
          form.removeAttribute("data-kept-offline");
          fieldError(form, "evidence", "Tệp quá 10 MB: " + big.map(function (f) { return f.name; }).join(", ") + ".");
          return null;
        }
        return (entryId && !fixing ? Outbox.all(userId) : Promise.resolve([])).then(function (records) {
          // A second offline edit of the same entry replaces the first (one version to send).
          var earlier = records.filter(function (r) { return String(r.entry_id) === String(entryId); })[0];
          var record = fixing || earlier || { client_id: Outbox.uuid(), created_at: new Date().toISOString() };
          record.user_id = Number(userId);
          record.unit_id = Number(form.getAttribute("data-unit-id"));
          record.entry_id = entryId || null;
          if (!earlier || !record.lock_version) record.lock_version = (el("lock_version") && el("lock_version").value) || null;
          record.fields = fields;
          record.commitment_ids = Array.prototype.map.call(boxes, function (b) { return b.value; });
          record.commitment_labels = Array.prototype.map.call(boxes, function (b) {
            var label = form.querySelector("label[for='" + b.id + "']");
            return label ? label.textContent : "";
          });
          record.submit = submit;
          record.files = (record === earlier ? record.files || [] : kept).concat(files);
          record.state = "pending";
          record.message = null;
          record.field = null;
          record.server = null;
          record.form_url = window.location.pathname + window.location.search;
          return Outbox.put(record);
        });
      }).then(function (record) {
        if (!record) return;
        if (storage) storage.removeItem(form.getAttribute("data-storage-key"));
        try {
          window.sessionStorage.setItem("snk-flash", reachable
            ? "Đã lưu bài trên máy này và đang gửi lên máy chủ."
            : "Đã lưu bài trên máy này. Bài sẽ tự gửi khi có mạng.");
        } catch (e) { /* private mode */ }
        return askBackgroundSync().then(function () {
          var day = parseDay(record.fields.deed_date);
          var now = new Date();
          var thisMonth = day && day[0] === now.getFullYear() && day[1] === now.getMonth() + 1;
          window.location.assign(thisMonth ? "/diary/" : "/diary/timeline");
        });
      }).catch(function () {
        if (say) say.textContent = "Không lưu được bài trên máy này (bộ nhớ trình duyệt bị tắt hoặc đầy).";
      });
    }
  }

  // ---- logging out -----------------------------------------------------------------------------

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var action = form.getAttribute && form.getAttribute("action");
    if (!action || !/\/logout$/.test(action) || form.getAttribute("data-forgotten") || !userId || !Outbox) return;
    event.preventDefault();
    var id = userId;
    (navigator.onLine ? Outbox.flush().catch(function () {}) : Promise.resolve())
      .then(function () { return Outbox.all(id); })
      .catch(function () { return []; })
      .then(function (records) {
        if (records.length && !window.confirm(
          "Còn " + records.length + " bài chưa gửi lên máy chủ, đang giữ trên máy này. Nếu đăng xuất, " +
          "các bài này sẽ bị xóa khỏi máy và không gửi được nữa. Vẫn đăng xuất?")) return false;
        return forgetUser(id).then(function () { return true; });
      })
      .then(function (go) {
        if (!go) return;
        form.setAttribute("data-forgotten", "1");
        form.submit();
      });
  }, true);

  // ---- on every page ---------------------------------------------------------------------------

  var entryForm = document.querySelector("form.entry-form");
  if (entryForm && Outbox && userId) setupForm(entryForm);

  document.querySelectorAll("[data-reload]").forEach(function (button) {
    button.addEventListener("click", function () { window.location.reload(); });
  });

  try {
    var flash = window.sessionStorage.getItem("snk-flash");
    var main = document.getElementById("main");
    if (flash && main) {
      window.sessionStorage.removeItem("snk-flash");
      main.insertBefore(h("div", { class: "alert alert-success", role: "alert", text: flash }), main.firstChild);
    }
  } catch (e) { /* private mode */ }

  refresh().then(function () {
    // The next open sends what waits (where Background Sync did not).
    if (waitingCount) sync();
  });
})();
