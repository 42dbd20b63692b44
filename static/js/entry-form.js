// The entry form keeps what is typed: a copy in this browser (survives a dropped network or a
// closed tab) and a draft on the server every few seconds. Works without it: the form posts.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave-url]");
  if (!form || !window.fetch || !window.FormData) return;
  var key = form.getAttribute("data-storage-key");
  var url = form.getAttribute("data-autosave-url");
  var status = document.getElementById("autosave-status");
  var fields = ["deed_date", "place", "action", "result", "lesson"];
  var timer = null;
  var dirty = false;
  var storage = null;
  try { storage = window.localStorage; } catch (e) { storage = null; }

  function el(name) { return form.elements.namedItem(name); }
  function say(text) { if (status) status.textContent = text; }

  function snapshot() {
    var data = { at: new Date().toISOString(), fields: {}, commitments: [] };
    fields.forEach(function (name) { var f = el(name); if (f) data.fields[name] = f.value; });
    form.querySelectorAll("input[name=commitment_ids]:checked").forEach(function (box) {
      data.commitments.push(box.value);
    });
    return data;
  }

  function keepLocal() {
    if (!storage) return;
    try { storage.setItem(key, JSON.stringify(snapshot())); } catch (e) { /* full or private mode */ }
  }

  function hasText() {
    return fields.some(function (name) {
      var f = el(name); return f && name !== "deed_date" && f.value.trim() !== "";
    });
  }

  function saveToServer() {
    timer = null;
    // Kept on this phone to be sent later (static/js/offline.js): no draft of it on the server.
    if (form.hasAttribute("data-kept-offline")) return;
    if (!dirty || !hasText()) return;
    dirty = false;
    var body = new FormData(form);
    body.delete("evidence");
    body.delete("submit");
    body.delete("save_draft");
    say("Đang lưu nháp…");
    // offline.js waits for a sending in flight before it keeps the entry, to know its draft's id.
    form.autosaveInFlight = fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json().then(function (json) { return [response, json]; }); })
      .then(function (pair) {
        var json = pair[1];
        if (json.ok) {
          el("entry_id").value = json.entry_id;
          el("lock_version").value = json.lock_version;
          say("Đã lưu nháp lúc " + json.saved_at.split(" ")[1] + ".");
        } else {
          say(json.message || "Chưa lưu được nháp; nội dung vẫn được giữ trên máy này.");
        }
      })
      .catch(function () {
        dirty = true;
        say("Mất kết nối: nội dung vẫn được giữ trên máy này và sẽ lưu khi có mạng.");
      });
  }

  function changed() {
    dirty = true;
    keepLocal();
    if (timer) clearTimeout(timer);
    timer = setTimeout(saveToServer, 3000);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", function (event) {
    if (event.target.name !== "evidence") changed();
  });
  window.addEventListener("online", function () { if (dirty) saveToServer(); });

  // On the page after a successful save, the local copy is no longer needed.
  form.addEventListener("submit", function () { keepLocal(); });
  var params = new URLSearchParams(window.location.search);
  if (params.get("saved") === "1" && storage) storage.removeItem(key);

  // Offer to restore a local copy that differs from what the page shows.
  if (storage) {
    var raw = storage.getItem(key);
    if (raw) {
      var saved = null;
      try { saved = JSON.parse(raw); } catch (e) { saved = null; }
      var current = snapshot();
      var differs = saved && fields.some(function (name) {
        return (saved.fields[name] || "") !== (current.fields[name] || "");
      });
      var box = document.getElementById("restore-box");
      if (differs && box && !form.querySelector(".is-invalid")) {
        document.getElementById("restore-time").textContent = new Date(saved.at).toLocaleString("vi-VN");
        box.classList.remove("d-none");
        document.getElementById("restore-button").addEventListener("click", function () {
          fields.forEach(function (name) { var f = el(name); if (f && name in saved.fields) f.value = saved.fields[name]; });
          form.querySelectorAll("input[name=commitment_ids]").forEach(function (b) {
            b.checked = saved.commitments.indexOf(b.value) !== -1;
          });
          box.classList.add("d-none");
          changed();
        });
        document.getElementById("restore-dismiss").addEventListener("click", function () {
          storage.removeItem(key);
          box.classList.add("d-none");
        });
      }
    }
  }

  // Warn before choosing a file that the server would refuse.
  var files = el("evidence");
  if (files) {
    files.addEventListener("change", function () {
      var big = Array.prototype.filter.call(files.files, function (f) { return f.size > 10 * 1024 * 1024; });
      files.setCustomValidity(big.length ? "Tệp quá 10 MB: " + big.map(function (f) { return f.name; }).join(", ") : "");
      if (big.length) say("Tệp quá 10 MB: " + big.map(function (f) { return f.name; }).join(", ") + ". Hãy chọn tệp nhỏ hơn.");
    });
  }
})();

// A counter under each long text box: "1.234/5.000 ký tự", so the limit shows before sending
// (the box stops at maxlength; the server says the same next to the field if it is passed).
(function () {
  "use strict";
  var form = document.querySelector("form.entry-form");
  if (!form) return;
  function vn(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, "."); }
  form.querySelectorAll("textarea[maxlength]").forEach(function (box) {
    var max = parseInt(box.getAttribute("maxlength"), 10);
    var counter = document.createElement("div");
    counter.className = "form-text text-end entry-counter";
    counter.id = box.id + "-count";
    box.insertAdjacentElement("afterend", counter);
    function update() {
      var n = box.value.length;
      counter.textContent = vn(n) + "/" + vn(max) + " ký tự";
      counter.classList.toggle("text-danger", n >= max);
    }
    box.addEventListener("input", update);
    update();
  });
})();
