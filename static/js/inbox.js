// The inbox page: its one websocket (/ws/, docs/realtime.md), live rows and counts, the open
// ticket, keyboard shortcuts and the optional new-ticket notification.
//
// Every server envelope is re-dispatched as a `tt:ws` DOM event, and `window.ttSocket.send(obj)`
// carries the panel's frames (typing, viewing): the ticket panel never opens a socket of its own.
(function () {
  "use strict";

  var root = document.getElementById("inbox");
  if (!root) return;
  var form = document.getElementById("inbox-filters");
  var rows = document.getElementById("inbox-rows");
  var panel = document.getElementById("ticket-panel");
  var search = document.getElementById("inbox-search");
  var ticketInput = document.getElementById("inbox-ticket");
  var lang = document.documentElement.lang || "en";
  var NO_ID = "00000000-0000-0000-0000-000000000000";
  // The page is marked hx-history="false" (no ticket data in localStorage snapshots), so going
  // back or forward loads the address afresh: the server renders that state, the socket reopens.
  if (window.htmx) window.htmx.config.refreshOnHistoryMiss = true;

  // ------------------------------------------------------------------ query and addresses

  function currentQuery() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (value !== "") params.append(key, value);
    });
    return params.toString();
  }

  function rowUrl(id) {
    return root.dataset.rowUrl.replace(NO_ID, id) + "?" + currentQuery();
  }

  function fetchFragment(url) {
    return fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" });
  }

  function failed(response) {
    var text = response.headers.get("X-Error-Message");
    if (window.ttToast) {
      window.ttToast(text ? decodeURIComponent(text) : document.body.dataset.errorGeneric || "Error");
    }
  }

  function offline() {
    if (window.ttToast) window.ttToast(document.body.dataset.errorOffline || "Offline");
  }

  // ------------------------------------------------------------------ rows

  function findRow(id) {
    return rows.querySelector('[data-testid="inbox-row"][data-ticket-id="' + id + '"]');
  }

  function allRows() {
    return Array.prototype.slice.call(rows.querySelectorAll('[data-testid="inbox-row"]'));
  }

  // Rows are kept in the list's order: newest activity first (sort keys compare as strings).
  function placeRow(row) {
    var old = findRow(row.dataset.ticketId);
    if (old) old.remove();
    var key = row.dataset.sortKey;
    var before = allRows().find(function (other) { return other.dataset.sortKey < key; });
    var more = rows.querySelector(".inbox-more");
    if (before) {
      rows.insertBefore(row, before);
    } else if (more) {
      return; // it belongs to a page not loaded yet; "load more" will bring it
    } else {
      rows.appendChild(row);
    }
    var empty = rows.querySelector(".inbox-empty");
    if (empty) empty.remove();
    if (window.htmx) window.htmx.process(row);
  }

  var pendingRows = {};
  function refreshRow(id) {
    if (!id || pendingRows[id]) return;
    // Several events about one ticket in a burst (message + ticket update) cost one request.
    pendingRows[id] = setTimeout(function () {
      delete pendingRows[id];
      fetchFragment(rowUrl(id)).then(function (response) {
        if (response.status === 204) {
          var gone = findRow(id);
          if (gone) gone.remove();
        } else if (response.ok) {
          return response.text().then(function (html) {
            var holder = document.createElement("template");
            holder.innerHTML = html.trim();
            var row = holder.content.querySelector('[data-testid="inbox-row"]');
            if (row) placeRow(row);
          });
        } else {
          failed(response);
        }
      }, offline);
      refreshCounts();
    }, 150);
  }

  function removeRow(id) {
    var row = findRow(id);
    if (row) row.remove();
    refreshCounts();
  }

  var countsTimer = null;
  function refreshCounts() {
    clearTimeout(countsTimer);
    countsTimer = setTimeout(function () {
      fetchFragment(root.dataset.countsUrl + "?" + currentQuery()).then(function (response) {
        if (!response.ok) return failed(response);
        return response.text().then(function (html) {
          var holder = document.createElement("template");
          holder.innerHTML = html.trim();
          holder.content.querySelectorAll("[id]").forEach(function (badge) {
            var old = document.getElementById(badge.id);
            if (old) {
              badge.removeAttribute("hx-swap-oob");
              old.replaceWith(badge);
            }
          });
        });
      }, offline);
    }, 400);
  }

  function reloadList() {
    if (window.htmx) {
      window.htmx.ajax("GET", root.dataset.listUrl + "?" + currentQuery(), {
        target: "#inbox-rows",
        swap: "innerHTML",
      });
    }
  }

  // A page loaded by "load more" may repeat a row that moved up live meanwhile: keep the first.
  document.body.addEventListener("htmx:afterSwap", function () {
    var seen = {};
    allRows().forEach(function (row) {
      if (seen[row.dataset.ticketId]) row.remove();
      seen[row.dataset.ticketId] = true;
    });
  });

  // ------------------------------------------------------------------ the open ticket

  function select(link) {
    allRows().forEach(function (row) {
      var other = row.querySelector(".inbox-row-link");
      if (other && other !== link) other.removeAttribute("aria-current");
    });
    link.setAttribute("aria-current", "true");
    var row = link.closest('[data-testid="inbox-row"]');
    ticketInput.value = row ? row.dataset.ticketId : "";
    root.classList.add("inbox--panel-open");
  }

  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var link = event.detail.elt;
    if (link && link.classList && link.classList.contains("inbox-row-link")) select(link);
  });

  root.querySelector(".inbox-back").addEventListener("click", function () {
    root.classList.remove("inbox--panel-open");
    ticketInput.value = "";
    history.pushState({}, "", root.dataset.listUrl + "?" + currentQuery());
    var current = rows.querySelector('[aria-current="true"]');
    if (current) current.focus();
  });

  function openRelative(step) {
    var links = allRows().map(function (row) { return row.querySelector(".inbox-row-link"); });
    if (!links.length) return;
    var index = links.findIndex(function (link) { return link.getAttribute("aria-current") === "true"; });
    var next = index === -1 ? (step > 0 ? 0 : links.length - 1) : index + step;
    if (next < 0 || next >= links.length) return;
    links[next].focus();
    links[next].scrollIntoView({ block: "nearest" });
    links[next].click();
  }

  // ------------------------------------------------------------------ keyboard

  var help = document.getElementById("inbox-shortcuts");
  function showHelp() {
    if (help && !help.open) help.showModal();
  }
  document.getElementById("inbox-help").addEventListener("click", showHelp);

  function typingInField(target) {
    return target.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']");
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    if (typingInField(event.target) || (help && help.open)) return;
    if (event.key === "j") { event.preventDefault(); openRelative(1); }
    else if (event.key === "k") { event.preventDefault(); openRelative(-1); }
    else if (event.key === "/") { event.preventDefault(); search.focus(); search.select(); }
    else if (event.key === "?") { event.preventDefault(); showHelp(); }
  });

  // ------------------------------------------------------------------ relative times

  function compact(seconds) {
    var minutes = Math.floor(seconds / 60);
    try {
      if (minutes < 1) return new Intl.RelativeTimeFormat(lang, { numeric: "auto" }).format(0, "second");
      var unit = "minute", value = minutes;
      if (minutes >= 60 * 24) { unit = "day"; value = Math.floor(minutes / 1440); }
      else if (minutes >= 60) { unit = "hour"; value = Math.floor(minutes / 60); }
      return new Intl.NumberFormat(lang, { style: "unit", unit: unit, unitDisplay: "short" }).format(value);
    } catch (e) {
      return null;
    }
  }

  setInterval(function () {
    var now = Date.now();
    rows.querySelectorAll("time[data-relative]").forEach(function (time) {
      var at = Date.parse(time.getAttribute("datetime"));
      var text = isNaN(at) ? null : compact(Math.max(0, (now - at) / 1000));
      if (text) time.textContent = text;
    });
  }, 60000);

  // ------------------------------------------------------------------ notifications

  var STORAGE_KEY = "tt.inbox.notify";
  var toggle = document.getElementById("inbox-notify-toggle");
  var audio = null;

  function notifyOn() {
    try { return localStorage.getItem(STORAGE_KEY) === "1"; } catch (e) { return false; }
  }

  function renderToggle() {
    toggle.setAttribute("aria-pressed", String(notifyOn()));
  }

  toggle.addEventListener("click", function () {
    var on = !notifyOn();
    try { localStorage.setItem(STORAGE_KEY, on ? "1" : "0"); } catch (e) { /* private mode */ }
    renderToggle();
    if (!on) return;
    // Both need a user gesture: this click.
    if (!audio && window.AudioContext) audio = new window.AudioContext();
    if ("Notification" in window && Notification.permission === "default") {
      Notification.requestPermission().catch(function () {});
    }
  });
  renderToggle();

  function beep() {
    if (!audio && window.AudioContext) audio = new window.AudioContext();
    if (!audio) return;
    if (audio.state === "suspended") audio.resume().catch(function () {});
    var oscillator = audio.createOscillator();
    var gain = audio.createGain();
    oscillator.frequency.value = 880;
    gain.gain.setValueAtTime(0.15, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.25);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start();
    oscillator.stop(audio.currentTime + 0.25);
  }

  function notifyNewTicket(ticket) {
    if (!notifyOn() || !ticket || ticket.status !== "pending") return;
    beep();
    if (!("Notification" in window) || Notification.permission !== "granted" || !document.hidden) return;
    var contact = ticket.contact || {};
    var note = new Notification(root.dataset.notifyTitle, {
      body: (contact.name || contact.phone || "") + (ticket.last_message_preview ? ": " + ticket.last_message_preview : ""),
      tag: "tt-ticket-" + ticket.public_id,
    });
    note.onclick = function () {
      window.focus();
      var row = findRow(ticket.public_id);
      if (row) row.querySelector(".inbox-row-link").click();
      note.close();
    };
  }

  // ------------------------------------------------------------------ the websocket

  var socket = null;
  var lastEventId = parseInt(root.dataset.lastEventId || "0", 10) || 0;
  var backoff = 1000;
  var heartbeat = null;
  var FINAL_CODES = { 4401: true, 4403: true, 4404: true, 4423: true };

  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  }
  window.ttSocket = { send: send };

  function sendHeartbeat() {
    send({ type: "heartbeat", status: document.hidden ? "away" : "online" });
  }
  document.addEventListener("visibilitychange", sendHeartbeat);

  function ticketId(data) {
    return data && data.ticket && data.ticket.public_id;
  }

  function handle(envelope) {
    var data = envelope.data || {};
    switch (envelope.type) {
      case "hello":
        backoff = 1000;
        clearInterval(heartbeat);
        heartbeat = setInterval(sendHeartbeat, (data.heartbeat_interval || 20) * 1000);
        if (!lastEventId) lastEventId = data.last_event_id || 0;
        break;
      case "resync":
        lastEventId = data.last_event_id || 0;
        reloadList();
        break;
      case "access.changed":
      case "tag.changed":
        reloadList();
        break;
      case "ticket.created":
        notifyNewTicket(data.ticket);
        refreshRow(ticketId(data));
        break;
      case "ticket.updated":
      case "ticket.transferred":
      case "ticket.closed":
      case "message.created":
        refreshRow(ticketId(data));
        break;
      case "ticket.hidden":
        removeRow(ticketId(data));
        break;
      case "contact.updated":
        if (data.contact) {
          rows.querySelectorAll('[data-contact-id="' + data.contact.public_id + '"]').forEach(function (row) {
            refreshRow(row.dataset.ticketId);
          });
        }
        break;
    }
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss:" : "ws:";
    var url = scheme + "//" + location.host + "/ws/";
    if (lastEventId) url += "?last_event_id=" + lastEventId;
    socket = new WebSocket(url);
    socket.addEventListener("message", function (message) {
      var envelope;
      try { envelope = JSON.parse(message.data); } catch (e) { return; }
      if (envelope.id != null) {
        if (envelope.id <= lastEventId) return; // already applied (replay overlap)
        lastEventId = envelope.id;
      }
      handle(envelope);
      document.dispatchEvent(new CustomEvent("tt:ws", { detail: envelope }));
    });
    socket.addEventListener("close", function (event) {
      clearInterval(heartbeat);
      socket = null;
      if (FINAL_CODES[event.code]) {
        if (event.code === 4401 && window.ttToast) window.ttToast(root.dataset.signedOut);
        return;
      }
      // Network or server failure: back off 1 s doubling to 30 s, with jitter.
      var delay = backoff * (0.75 + Math.random() / 2);
      backoff = Math.min(backoff * 2, 30000);
      setTimeout(connect, delay);
    });
  }
  connect();
})();
