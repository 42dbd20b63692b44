// Entries written without a signal, kept in IndexedDB until the server has them (issue 19).
// Loaded by the pages (<script>) and by the service worker (importScripts): no DOM here.
// A record: {client_id, user_id, unit_id, entry_id, lock_version, fields, commitment_ids,
// commitment_labels, submit, files: [{name, type, blob}], state, message, field, server,
// form_url, created_at, updated_at}; state is "pending", "refused" or "conflict".
(function (scope) {
  "use strict";
  var DB_NAME = "sonhatky-offline";
  var STORE = "outbox";
  var META = "meta";
  var SYNC_URL = "/diary/sync/entries";
  var STATE_URL = "/diary/sync/state";
  var LOCK = "sonhatky-outbox";
  var dbPromise = null;

  function open() {
    if (!scope.indexedDB) return Promise.reject(new Error("no IndexedDB"));
    if (dbPromise) return dbPromise;
    dbPromise = new Promise(function (resolve, reject) {
      var request = scope.indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        var db = request.result;
        var store = db.createObjectStore(STORE, { keyPath: "client_id" });
        store.createIndex("user_id", "user_id");
        db.createObjectStore(META);
      };
      request.onsuccess = function () {
        var db = request.result;
        // Another tab or a new worker upgrading: let it, and open again next time.
        db.onversionchange = function () { db.close(); dbPromise = null; };
        resolve(db);
      };
      request.onerror = function () { dbPromise = null; reject(request.error); };
    });
    return dbPromise;
  }

  function run(storeName, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(storeName, mode);
        var result;
        var out = work(tx.objectStore(storeName), function (value) { result = value; });
        if (out !== undefined) result = out;
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  function all(userId) {
    return run(STORE, "readonly", function (store, done) {
      var request = store.index("user_id").getAll(Number(userId));
      request.onsuccess = function () {
        done(request.result.sort(function (a, b) { return a.created_at < b.created_at ? -1 : 1; }));
      };
    });
  }

  function get(clientId) {
    return run(STORE, "readonly", function (store, done) {
      var request = store.get(clientId);
      request.onsuccess = function () { done(request.result || null); };
    });
  }

  function put(record) {
    record.updated_at = new Date().toISOString();
    return run(STORE, "readwrite", function (store) { store.put(record); }).then(function () {
      announce();
      return record;
    });
  }

  function remove(clientId) {
    return run(STORE, "readwrite", function (store) { store.delete(clientId); }).then(announce);
  }

  // Everything this phone keeps for a person: their waiting entries and their last sync time.
  function removeUser(userId) {
    return all(userId).then(function (records) {
      return open().then(function (db) {
        return new Promise(function (resolve, reject) {
          var tx = db.transaction([STORE, META], "readwrite");
          records.forEach(function (r) { tx.objectStore(STORE).delete(r.client_id); });
          tx.objectStore(META).delete("last_sync:" + userId);
          tx.oncomplete = resolve;
          tx.onerror = tx.onabort = function () { reject(tx.error); };
        });
      });
    }).catch(function () { /* nothing kept */ }).then(announce);
  }

  function lastSync(userId) {
    return run(META, "readonly", function (store, done) {
      var request = store.get("last_sync:" + userId);
      request.onsuccess = function () { done(request.result || null); };
    }).catch(function () { return null; });
  }

  function setLastSync(userId) {
    return run(META, "readwrite", function (store) {
      store.put(new Date().toISOString(), "last_sync:" + userId);
    });
  }

  // Tell every page (from the worker) or the other tabs (from a page) that the outbox changed.
  function announce() {
    var message = { type: "outbox-changed" };
    if (scope.clients && scope.clients.matchAll) {
      scope.clients.matchAll({ includeUncontrolled: true }).then(function (list) {
        list.forEach(function (client) { client.postMessage(message); });
      });
    } else if (scope.BroadcastChannel) {
      try { new scope.BroadcastChannel("sonhatky-outbox").postMessage(message); } catch (e) { /* old browser */ }
    }
    if (scope.dispatchEvent && scope.CustomEvent) scope.dispatchEvent(new scope.CustomEvent("outbox-changed"));
  }

  function body(record, token) {
    var data = new FormData();
    data.append("csrf_token", token);
    data.append("client_id", record.client_id);
    Object.keys(record.fields).forEach(function (name) { data.append(name, record.fields[name] || ""); });
    (record.commitment_ids || []).forEach(function (id) { data.append("commitment_ids", id); });
    if (record.entry_id) data.append("entry_id", record.entry_id);
    if (record.lock_version) data.append("lock_version", record.lock_version);
    if (record.submit) data.append("submit", "Gửi bài");
    else data.append("save_draft", "Lưu nháp");
    (record.files || []).forEach(function (file) { data.append("evidence", file.blob, file.name); });
    return data;
  }

  // Send what waits, one entry at a time. Resolves to {sent, refused, conflicts, waiting, offline,
  // signedOut}. Only one sending runs at a time in this browser (the page and the worker may
  // both try when the connection returns); the server makes a repeated sending harmless anyway.
  function flush() {
    if (scope.navigator && scope.navigator.locks) {
      return scope.navigator.locks.request(LOCK, flushNow);
    }
    return flushNow();
  }

  function flushNow() {
    var report = { sent: 0, refused: 0, conflicts: 0, waiting: 0, offline: false, signedOut: false };
    return fetch(STATE_URL, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || response.redirected || type.indexOf("application/json") === -1) {
          report.signedOut = true;
          return null;
        }
        return response.json();
      }, function () { report.offline = true; return null; })
      .then(function (state) {
        if (!state) return report;
        return all(state.user_id).then(function (records) {
          var queue = records.filter(function (r) { return r.state === "pending"; });
          var chain = Promise.resolve();
          queue.forEach(function (record) {
            chain = chain.then(function () {
              if (report.offline) return;
              return send(record, state.csrf_token, report);
            });
          });
          return chain.then(function () {
            if (!report.offline) return setLastSync(state.user_id);
          }).then(function () {
            return all(state.user_id);
          }).then(function (left) {
            report.waiting = left.length;
            announce();
            return report;
          });
        });
      });
  }

  function send(record, token, report) {
    var url = SYNC_URL + "?unit_id=" + encodeURIComponent(record.unit_id);
    return fetch(url, {
      method: "POST",
      body: body(record, token),
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (json) {
        if (response.ok && json && json.ok) {
          report.sent += 1;
          return remove(record.client_id);
        }
        if (json && json.retry) {
          report.offline = true; // nothing wrong with the entry: sent again next time
          return;
        }
        if (json && json.conflict) {
          report.conflicts += 1;
          record.state = "conflict";
          record.message = json.message;
          record.server = json.server;
          return put(record);
        }
        // Refused by a rule (422, 400), or by the app's error answers: not allowed (403), no such
        // branch or entry (404), too large (413). Kept on the phone with the reason.
        if (json && (json.refused || [400, 403, 404, 413].indexOf(response.status) !== -1)) {
          report.refused += 1;
          record.state = "refused";
          record.message = json.message;
          record.field = json.field || null;
          return put(record);
        }
        // Signed out meanwhile, or a server error: keep it and try again later.
        report.offline = true;
      });
    }, function () { report.offline = true; });
  }

  function uuid() {
    if (scope.crypto && scope.crypto.randomUUID) return scope.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    scope.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  scope.SNKOutbox = {
    all: all,
    get: get,
    put: put,
    remove: remove,
    removeUser: removeUser,
    lastSync: lastSync,
    flush: flush,
    uuid: uuid,
    TAG: "sonhatky-outbox",
  };
})(self);
