// The visitor's queue of unsent visits, locked, and what logging out leaves on the phone.
//
// Each queued visit is kept encrypted (AES-GCM) under a key the server gives the logged-in
// user's pages (the "visitor-outbox" meta tag); the key itself is never stored by this script.
// Logging out deletes the kept pages (so the key in them goes too) after asking what to do with
// visits not yet sent: send them now, keep them locked until the same person logs in again,
// or delete them. Anyone else logging in on the phone has another key: they can neither read
// nor send those visits. The login page, reached by anyone logged out, deletes kept pages too.
(function () {
  "use strict";

  var DB_NAME = "outreach-visitor";
  var STORE = "outbox";
  var PAGES = "visitor-pages";
  var meta = document.querySelector('meta[name="visitor-outbox"]');
  var keyPromise = null;

  function bytes(base64) {
    var text = atob(base64.replace(/-/g, "+").replace(/_/g, "/"));
    var out = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i += 1) { out[i] = text.charCodeAt(i); }
    return out;
  }

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  // The key and a tag naming its holder (a hash of the key: says nothing about who it is).
  function key() {
    if (!meta || !window.crypto || !crypto.subtle) { return Promise.reject(new Error("no key")); }
    if (!keyPromise) {
      var raw = bytes(meta.content);
      keyPromise = Promise.all([
        crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]),
        crypto.subtle.digest("SHA-256", raw)
      ]).then(function (made) { return { key: made[0], owner: hex(made[1]).slice(0, 32) }; });
    }
    return keyPromise;
  }

  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(STORE, { keyPath: "id" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function withStore(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = work(tx.objectStore(STORE));
        tx.oncomplete = function () { db.close(); resolve(result && result.result); };
        tx.onerror = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function seal(item) {
    return key().then(function (k) {
      var iv = crypto.getRandomValues(new Uint8Array(12));
      var plain = new TextEncoder().encode(JSON.stringify(item));
      return crypto.subtle.encrypt({ name: "AES-GCM", iv: iv }, k.key, plain)
        .then(function (sealed) {
          return { id: item.id, owner: k.owner, iv: iv, sealed: new Uint8Array(sealed) };
        });
    });
  }

  function open(stored, k) {
    return crypto.subtle.decrypt({ name: "AES-GCM", iv: stored.iv }, k.key, stored.sealed)
      .then(function (plain) { return JSON.parse(new TextDecoder().decode(plain)); });
  }

  // This user's queued visits, opened. Another user's (or an older, unlocked form's) are left
  // where they are, unread.
  function mine() {
    if (!meta) { return Promise.resolve([]); }  // logged out on this phone: nothing is ours
    return key().then(function (k) {
      return withStore("readonly", function (s) { return s.getAll(); }).then(function (all) {
        var own = all.filter(function (stored) { return stored.owner === k.owner; });
        return Promise.all(own.map(function (stored) {
          return open(stored, k)["catch"](function () { return null; });
        }));
      }).then(function (items) { return items.filter(Boolean); });
    });
  }

  function put(item) {
    return seal(item).then(function (stored) {
      return withStore("readwrite", function (s) { s.put(stored); });
    });
  }

  function remove(id) { return withStore("readwrite", function (s) { s["delete"](id); }); }

  function forgetPages() {
    var work = [];
    if ("caches" in window) { work.push(caches["delete"](PAGES)); }
    // The service worker may be keeping forms at this moment: tell it to stop and forget them.
    if ("serviceWorker" in navigator && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ forget: true });
    }
    return Promise.all(work)["catch"](function () { return null; });
  }

  window.VisitorOutbox = { mine: mine, put: put, remove: remove, forgetPages: forgetPages };

  // --- Logging out ------------------------------------------------------------------------

  function plural(n) { return n === 1 ? "1 visit has" : n + " visits have"; }

  function ask(count) {
    // Resolves with "send", "keep", "delete" or "cancel".
    return new Promise(function (resolve) {
      var dialog = document.createElement("dialog");
      dialog.className = "logout-ask";
      dialog.setAttribute("aria-labelledby", "logout-ask-heading");
      var heading = document.createElement("h2");
      heading.id = "logout-ask-heading";
      heading.textContent = plural(count) + " not been sent yet";
      var text = document.createElement("p");
      text.textContent = !navigator.onLine
        ? "You are offline. Keep them locked on this phone until you log in again, or delete them."
        : window.VisitorSync
          ? "Send them before you log out, or keep them locked on this phone until you log in again."
          : "Open today's round to send them, or keep them locked on this phone until you log in again.";
      dialog.appendChild(heading);
      dialog.appendChild(text);
      [["send", "Send them now"], ["keep", "Keep them locked until I log in again"],
       ["delete", "Delete them (they will be lost)"], ["cancel", "Cancel, stay logged in"]]
        .forEach(function (choice) {
          var button = document.createElement("button");
          button.type = "button";
          button.value = choice[0];
          button.textContent = choice[1];
          if (choice[0] === "send" && !(navigator.onLine && window.VisitorSync)) {
            button.disabled = true;  // offline, or not on a round page, which sends them
          }
          button.className = { send: "primary", "delete": "danger" }[choice[0]] || "";
          button.addEventListener("click", function () {
            dialog.close();
            dialog.remove();
            resolve(choice[0]);
          });
          dialog.appendChild(button);
        });
      document.body.appendChild(dialog);
      dialog.showModal();
    });
  }

  function sendAll() {
    // Sent by the round's own code when the round page is open, else straight to the server.
    var send = window.VisitorSync;
    return send ? send() : Promise.resolve();
  }

  function dropKey() {
    // Logged out on this phone: this page forgets the key too, so nothing is sent or read
    // under it (e.g. when the network comes back) until the visitor logs in again.
    if (meta) { meta.remove(); }
    meta = null;
    keyPromise = null;
  }

  function loggedOutOffline(form) {
    // No network: the server cannot hear the logout now. Nothing of the round is left on the
    // page or the phone; logging out again when back online ends the session there too.
    var main = document.getElementById("main");
    main.textContent = "";
    var heading = document.createElement("h1");
    heading.textContent = "Logged out on this phone";
    var text = document.createElement("p");
    text.textContent = "The round is no longer kept on this phone. When you are back online, " +
      "tap Log out once more to end your session everywhere.";
    main.appendChild(heading);
    main.appendChild(text);
    document.querySelectorAll("nav a").forEach(function (a) { a.remove(); });
    form.dataset.cleared = "yes";
    document.title = "Logged out · Outreach & Check-in";
  }

  function finish(form) {
    dropKey();
    return forgetPages().then(function () {
      if (navigator.onLine) {
        form.dataset.cleared = "yes";
        form.submit();
      } else {
        loggedOutOffline(form);
      }
    });
  }

  function onLogout(event) {
    var form = event.target;
    if (form.dataset.cleared === "yes" && navigator.onLine) { return; }  // now to the server
    event.preventDefault();
    if (!meta) { finish(form); return; }
    var decide = function () {
      return mine()["catch"](function () { return []; }).then(function (items) {
        if (!items.length) { return finish(form); }
        return ask(items.length).then(function (choice) {
          if (choice === "cancel") { return null; }
          if (choice === "keep") { return finish(form); }
          if (choice === "delete") {
            return Promise.all(items.map(function (item) { return remove(item.id); }))
              .then(function () { return finish(form); });
          }
          return sendAll().then(decide);  // whatever could not be sent is asked about again
        });
      });
    };
    decide();
  }

  document.querySelectorAll('form[action$="/logout"]').forEach(function (form) {
    form.addEventListener("submit", onLogout);
  });

  // Nobody is logged in on this page (the login page): no round page may stay readable.
  if (!document.querySelector('form[action$="/logout"]')) { forgetPages(); }
}());
