// The visitor's round and check-in form, offline first: a submitted visit is kept in IndexedDB
// and sent when the network allows. The server stores each visit id once, so sending the same
// visit again (after a lost answer or a reload mid-send) can never make a second visit.
(function () {
  "use strict";

  var root = document.getElementById("visitor");
  if (!root) { return; }
  var SEEN = ["seen_well", "seen_concern"];
  var syncing = null;
  // Kept locked on the phone (outbox.js): only this user's visits are read, sent or shown.
  var outbox = window.VisitorOutbox;

  function queued() { return outbox.mine(); }
  function put(item) { return outbox.put(item); }
  function remove(id) { return outbox.remove(id); }

  function showOutbox() {
    var box = document.querySelector(".outbox");
    if (!box) { return Promise.resolve(); }
    return queued().then(function (items) {
      var waiting = items.filter(function (i) { return !i.refused; });
      // Once shown, the box stays on this page so the visitor sees the count reach 0.
      if (items.length) { box.hidden = false; }
      document.getElementById("outbox-count").textContent = "Waiting to send: " + waiting.length;
      var list = document.getElementById("outbox-list");
      list.textContent = "";
      items.sort(function (a, b) { return a.visit.visited_at < b.visit.visited_at ? -1 : 1; });
      items.forEach(function (item) {
        var li = document.createElement("li");
        var name = document.createElement("strong");
        name.textContent = item.clientName;
        var state = document.createElement("span");
        state.className = "meta";
        state.textContent = item.refused ? "Not accepted: " + item.refused + " Tell the office."
          : "Waiting to send (" + item.visit.outcome.replace("_", " ") + ")";
        li.appendChild(name);
        li.appendChild(state);
        list.appendChild(li);
        var stop = document.querySelector('.stop[data-client-id="' + item.visit.client_id + '"] .status');
        if (stop && !item.refused) { stop.textContent = "Recorded, waiting to send"; }
      });
    });
  }

  function freshToken() {
    // A page kept by the service worker may carry an old CSRF token: read the current one.
    return fetch(root.dataset.scope, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var match = /data-csrf="([^"]+)"/.exec(html);
        if (match) { root.dataset.csrf = match[1]; }
      });
  }

  function send(item, retried) {
    return fetch(root.dataset.syncUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": root.dataset.csrf },
      body: JSON.stringify(item.visit)
    }).then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (!json) { return null; }  // e.g. logged out: keep it for later
      return response.json().then(function (body) {
        var code = body && body.error ? body.error.code : "";
        if (response.ok || code === "visit_id_conflict") { return remove(item.id); }
        if (code === "csrf_failed" && !retried) {
          return freshToken().then(function () { return send(item, true); });
        }
        if (response.status >= 400 && response.status < 500 && code !== "csrf_failed") {
          item.refused = body.error.message;
          return put(item);
        }
        return null;  // a server fault: try again later
      });
    });
  }

  function sync() {
    if (syncing) { return syncing; }  // one at a time; a second caller waits for this one
    if (!navigator.onLine) { return Promise.resolve(); }
    syncing = queued().then(function (items) {
      var chain = Promise.resolve();
      items.filter(function (i) { return !i.refused; }).forEach(function (item) {
        chain = chain.then(function () { return send(item, false); });
      });
      return chain;
    }).catch(function () { return null; })  // offline after all: the queue is untouched
      .then(function () { syncing = null; return showOutbox(); });
    return syncing;
  }
  window.VisitorSync = sync;  // logging out may ask for the queue to be sent first

  function collect(form) {
    var data = new FormData(form);
    var outcome = data.get("outcome");
    var visit = {
      id: self.crypto.randomUUID(), client_id: parseInt(form.dataset.clientId, 10),
      visited_at: new Date().toISOString(), outcome: outcome,
      questionnaire_version: parseInt(data.get("questionnaire_version"), 10), answers: {},
      prescription_delivered: data.has("prescription_delivered"),
      appointment_reminded: data.has("appointment_reminded"), note: data.get("note") || ""
    };
    if (SEEN.indexOf(outcome) >= 0) {
      form.querySelectorAll("input[name^='answer-']").forEach(function (input) {
        var question = input.name.slice("answer-".length);
        if (input.type === "checkbox") {
          visit.answers[question] = visit.answers[question] || [];
          if (input.checked) { visit.answers[question].push(input.value); }
        } else if (input.checked) {
          visit.answers[question] = input.value;
        }
      });
    }
    var measures = SEEN.indexOf(outcome) >= 0 ? collectMeasures(form) : null;
    if (measures) { visit.measures = measures; }
    return visit;
  }

  function collectMeasures(form) {
    // The wellbeing section (shown when the client is due it): sent only when something was
    // asked, so an untouched section does not count as asking them.
    var declined = form.querySelector("#measure-declined");
    if (declined && declined.checked) { return { declined: true, answers: {} }; }
    var answers = {};
    form.querySelectorAll("input[name^='measure-']:checked").forEach(function (input) {
      if (input.type === "radio") {
        answers[input.name.slice("measure-".length)] = parseInt(input.value, 10);
      }
    });
    return Object.keys(answers).length ? { declined: false, answers: answers } : null;
  }

  var form = document.querySelector("form.visit-form");
  if (form) {
    form.addEventListener("submit", function (event) {
      if (!form.querySelector("input[name=outcome]:checked")) { return; }  // the server explains
      event.preventDefault();
      form.querySelector("button[type=submit]").disabled = true;
      var item = { id: null, clientName: form.dataset.clientName, visit: collect(form) };
      item.id = item.visit.id;
      put(item).then(sync).then(function () {
        window.location.assign(root.dataset.roundUrl);
      }, function () {
        form.submit();  // it cannot be kept locked on this phone: send the form as it is
      });
    });
  }

  function keepPagesForOffline(registration) {
    // The day's forms, so a visit can be recorded with no signal at the door. The service
    // worker keeps them: a download it makes survives the visitor tapping on to the next page,
    // where one made by this page would be cut off, and its half-kept form lost.
    if (!("caches" in window) || !navigator.onLine || !registration.active) { return; }
    var links = Array.prototype.map.call(document.querySelectorAll("a.visit-link"),
      function (a) { return new URL(a.getAttribute("href"), window.location.href).href; });
    registration.active.postMessage({
      keep: [new URL(root.dataset.scope, window.location.href).href].concat(links)
    });
  }

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(root.dataset.swUrl, { scope: root.dataset.scope })
      .then(function () { return navigator.serviceWorker.ready; })
      .then(keepPagesForOffline)
      .catch(function () { return null; });
  }
  window.addEventListener("online", sync);
  showOutbox().then(sync);
}());
