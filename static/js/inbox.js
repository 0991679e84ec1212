// The inbox: one websocket per page (re-dispatched as "tt:ws" DOM events for the panel), live
// rows, tab counts, notifications as the user's profile sets them, keyboard navigation.
(function () {
  "use strict";
  var list = document.getElementById("inbox-list");
  if (!list) return;
  // The tenant's event id when the page read its list: the first connect replays from it.
  var lastId = /^\d+$/.test(list.dataset.lastEventId || "") ? parseInt(list.dataset.lastEventId, 10) : null;
  var socket = null;
  var retry = 1000;
  var status = document.getElementById("live-status");

  function rows() { return document.getElementById("ticket-rows"); }
  function query() { var r = rows(); return r ? r.dataset.query || "" : ""; }

  window.ttSocket = {
    send: function (frame) {
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
    }
  };

  function setLive(online) {
    if (!status) return;
    status.textContent = online ? status.dataset.online : status.dataset.offline;
    status.classList.toggle("offline", !online);
  }

  function connect() {
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/";
    if (lastId !== null) url += "?last_event_id=" + lastId;
    socket = new WebSocket(url);
    socket.onopen = function () { retry = 1000; setLive(true); };
    socket.onmessage = function (event) {
      var envelope;
      try { envelope = JSON.parse(event.data); } catch (e) { return; }
      if (envelope.type === "hello") {
        if (lastId !== null && envelope.data.last_event_id < lastId) reloadList();
        if (lastId === null) lastId = envelope.data.last_event_id;
        heartbeat(envelope.data.heartbeat_interval || 15);
        loadUnread();
      }
      if (typeof envelope.id === "number") {
        if (lastId !== null && envelope.id <= lastId) return;
        lastId = envelope.id;
      }
      handle(envelope);
      document.dispatchEvent(new CustomEvent("tt:ws", { detail: envelope }));
    };
    socket.onclose = function (event) {
      setLive(false);
      if (event.code === 4401 || event.code === 4403) {
        // Signed out or refused: reload once (to the sign-in page); if the refusal repeats within
        // 30 s (a proxy dropping the Origin, say), keep retrying with back-off instead of looping.
        var last = Number(sessionStorage.getItem("tt-auth-reload") || 0);
        if (Date.now() - last > 30000) {
          sessionStorage.setItem("tt-auth-reload", String(Date.now()));
          location.reload();
          return;
        }
      }
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }

  var beat = null;
  function heartbeat(seconds) {
    clearInterval(beat);
    beat = setInterval(function () {
      window.ttSocket.send({ type: "heartbeat", status: document.hidden ? "away" : "online" });
    }, seconds * 1000);
  }

  function reloadList() {
    htmx.ajax("GET", "?" + query(), { target: "#inbox-results", swap: "innerHTML" });
  }

  var countsTimer = null;
  function refreshCounts() {
    clearTimeout(countsTimer);
    countsTimer = setTimeout(function () {
      htmx.ajax("GET", list.dataset.countsUrl + "?" + query(), { target: "#inbox-tabs", swap: "outerHTML" });
    }, 300);
  }

  function placeRow(li) {
    var container = rows();
    if (!container) return;
    var order = Number(li.dataset.order);
    var before = null;
    container.querySelectorAll("[data-testid=inbox-row]").forEach(function (other) {
      if (!before && Number(other.dataset.order) < order) before = other;
    });
    var more = container.querySelector(".load-more");
    // Older than every loaded row while more pages remain: it belongs to a page "load more"
    // has not fetched yet, which will bring it (placing it now would show it twice then).
    if (!before && more) return;
    container.insertBefore(li, before);
    var empty = document.querySelector("[data-testid=inbox-empty]");
    if (empty) empty.hidden = true;
  }

  // Belt and braces: should a fetched page repeat a row already placed live, keep the first.
  document.body.addEventListener("htmx:afterSwap", function () {
    var container = rows();
    if (!container) return;
    var seen = {};
    container.querySelectorAll("[data-testid=inbox-row]").forEach(function (row) {
      if (seen[row.dataset.ticketId]) row.remove();
      seen[row.dataset.ticketId] = true;
    });
  });

  function findRow(id) { return document.querySelector('[data-testid=inbox-row][data-ticket-id="' + id + '"]'); }

  // Refreshes of one row can overlap (a ticket's first messages come a few milliseconds apart)
  // and their answers can arrive in any order. Each refresh is numbered per row: an answer
  // older than one already shown is dropped, and the row is looked up when its answer is placed,
  // never before its body has arrived, so two answers never place the row twice.
  var rowAsked = {}, rowShown = {}, rowNew = {};
  function refreshRow(id, isNew) {
    var asked = (rowAsked[id] || 0) + 1;
    rowAsked[id] = asked;
    if (isNew) rowNew[id] = true;
    fetch(list.dataset.rowsUrl + id + "/?" + query(), { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 204) return { gone: true };
        if (!response.ok) return null;
        return response.text().then(function (html) { return { html: html }; });
      })
      .then(function (answer) {
        if (!answer || asked < (rowShown[id] || 0)) return;
        rowShown[id] = asked;
        var existing = findRow(id);
        if (answer.gone) { if (existing) existing.remove(); return; }
        var holder = document.createElement("ol");
        holder.innerHTML = answer.html.trim();
        var li = holder.firstElementChild;
        if (!li) return;
        if (existing && existing.getAttribute("aria-current")) li.setAttribute("aria-current", "true");
        if (existing) existing.remove();
        placeRow(li);
        htmx.process(li);
        keepSelection();
        if (rowNew[id] && li.dataset.status === "pending") notifyRow(li);
        delete rowNew[id];
      })
      .catch(function () { /* offline: the socket's reconnection reloads the list */ });
    refreshCounts();
  }

  function handle(envelope) {
    var data = envelope.data || {};
    switch (envelope.type) {
      case "ticket.created":
        refreshRow(data.ticket.public_id, true); trackUnread(data.ticket); break;
      case "ticket.updated": case "ticket.transferred": case "ticket.closed":
        refreshRow(data.ticket.public_id, false); trackUnread(data.ticket); break;
      case "message.created":
        if (data.ticket) { refreshRow(data.ticket.public_id, false); trackUnread(data.ticket); notifyMessage(data); } break;
      case "contact.updated":  // its name or tags show on each of its rows
        var contactId = data.contact && data.contact.public_id;
        document.querySelectorAll("[data-testid=inbox-row]").forEach(function (row) {
          if (row.dataset.contactId === contactId) refreshRow(row.dataset.ticketId, false);
        });
        break;
      case "tag.changed":  // renamed, recoloured or deleted: on any row
        reloadList(); break;
      case "ticket.hidden":
        var gone = findRow(data.ticket.public_id);
        if (gone) gone.remove();
        trackUnread({ public_id: data.ticket.public_id });
        refreshCounts(); break;
      case "resync": case "access.changed":
        reloadList(); refreshCounts(); break;
    }
  }

  // Notifications, each chosen in the user's profile (all off by default): a chime for new
  // waiting tickets, a chime for new customer messages in my tickets, and a desktop notification
  // for either while the inbox is in the background.
  var soundWaiting = list.dataset.notifySound === "1";
  var soundMessages = list.dataset.notifySoundMessages === "1";
  var desktopOn = list.dataset.notifyDesktop === "1";
  var me = document.body.dataset.userId;
  var chime = null;
  function ring() {
    chime = chime || new Audio(list.dataset.soundUrl);
    chime.currentTime = 0;
    // Browsers refuse to play before the user's first gesture on the page: the row is enough.
    var playing = chime.play();
    if (playing && playing.catch) playing.catch(function () {});
  }
  function notify(withSound, title, body) {
    if (withSound) ring();
    if (desktopOn && window.Notification && Notification.permission === "granted" && document.hidden) {
      new Notification(title || "TikTickets", { body: body || "" });
    }
  }
  function notifyRow(li) {
    var name = li.querySelector("[data-testid=inbox-row-contact]");
    var preview = li.querySelector("[data-testid=inbox-row-preview]");
    notify(soundWaiting, name ? name.textContent : "", preview ? preview.textContent.trim() : "");
  }
  function mine(ticket) { return Boolean(ticket && ticket.assignee && String(ticket.assignee.id) === me); }
  function notifyMessage(data) {
    var message = data.message || {}, ticket = data.ticket || {};
    if (message.direction !== "in" || message.is_note || !mine(ticket)) return;
    notify(soundMessages, ticket.contact ? ticket.contact.name : "", message.body || "");
  }

  // The tab's title counts the unread customer messages of my pending and open tickets, "(3)
  // Inbox · TikTickets": read at each (re)connection, then kept by the live events' rows.
  var baseTitle = document.title;
  var unread = {};
  var since = null;  // while the server's counts are on their way: what events said meanwhile
  function showUnread() {
    var total = 0;
    Object.keys(unread).forEach(function (id) { total += unread[id]; });
    document.title = total > 0 ? "(" + total + ") " + baseTitle : baseTitle;
  }
  function setUnread(id, count) {
    if (count > 0) unread[id] = count; else delete unread[id];
  }
  function loadUnread() {
    since = {};
    fetch(list.dataset.unreadUrl, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body) return;
        var newer = since || {};
        unread = body.tickets;
        Object.keys(newer).forEach(function (id) { setUnread(id, newer[id]); });
        showUnread();
      })
      .catch(function () { /* offline: the socket's reconnection reads it again */ })
      .then(function () { since = null; });
  }
  function trackUnread(ticket) {
    if (!ticket || !ticket.public_id) return;
    var count = mine(ticket) && ticket.status !== "closed" ? ticket.unread_count : 0;
    if (since) since[ticket.public_id] = count;
    setUnread(ticket.public_id, count);
    showUnread();
  }

  // Selection: the open row is marked; j/k move; "/" searches; "?" shows the shortcuts.
  document.addEventListener("click", function (event) {
    var link = event.target.closest(".ticket-link");
    if (!link) return;
    document.querySelectorAll("[data-testid=inbox-row][aria-current]").forEach(function (row) { row.removeAttribute("aria-current"); });
    link.closest("[data-testid=inbox-row]").setAttribute("aria-current", "true");
    document.querySelector("main").classList.add("has-ticket");
  });
  document.addEventListener("click", function (event) {
    var tab = event.target.closest(".inbox-tab");
    if (tab) document.getElementById("inbox-tab-field").value = tab.dataset.tab;
    if (event.target.closest(".back-to-list")) {
      event.preventDefault();
      document.querySelector("main").classList.remove("has-ticket");
    }
  });
  // Bulk selection: a checkbox on each row (kept while a live update redraws the row); Shift+click
  // selects the range from the last box clicked; Space or x toggles the focused row; Shift+A
  // selects every visible row (again: none). The bar acts on the checked rows and shows each
  // ticket's outcome; the list is then read again.
  var bar = document.getElementById("bulk-form");
  var anchor = null;  // the ticket id of the last box clicked: its row may be redrawn since
  var selected = {};  // ticket id -> true: survives the rows being redrawn or the list re-read
  function boxes() { return Array.prototype.slice.call(document.querySelectorAll("[data-testid=inbox-row-select]")); }
  function updateBar() {
    if (!bar) return;
    var count = 0;
    selected = {};
    boxes().forEach(function (box) {
      if (box.checked) { count += 1; selected[box.value] = true; }
      box.closest("[data-testid=inbox-row]").classList.toggle("selected", box.checked);
    });
    bar.hidden = count === 0;
    bar.querySelector("[data-testid=bulk-count]").textContent = String(count);
  }
  function keepSelection() {
    boxes().forEach(function (box) { if (selected[box.value]) box.checked = true; });
    updateBar();
  }
  function toggle(box, checked) {
    box.checked = checked === undefined ? !box.checked : checked;
    anchor = box.value;
    updateBar();
  }
  document.addEventListener("click", function (event) {
    var box = event.target.closest("[data-testid=inbox-row-select]");
    if (box) {
      var all = boxes();
      var values = all.map(function (each) { return each.value; });
      var from = values.indexOf(anchor), to = all.indexOf(box);
      if (event.shiftKey && from !== -1 && from !== to) {
        for (var i = Math.min(from, to); i <= Math.max(from, to); i++) all[i].checked = box.checked;
      }
      anchor = box.value;
      updateBar();
      return;
    }
    var command = event.target.closest("[data-bulk]");
    if (command) {
      boxes().forEach(function (other) { other.checked = command.dataset.bulk === "all"; });
      updateBar();
    }
    if (event.target.closest("[data-testid=bulk-results-close]")) document.getElementById("bulk-results").innerHTML = "";
  });
  document.body.addEventListener("tt:bulk-done", function () {
    if (!bar) return;
    selected = {};
    boxes().forEach(function (box) { box.checked = false; });
    bar.querySelectorAll("details[open]").forEach(function (details) { details.open = false; });
    updateBar();
    reloadList();
    refreshCounts();
  });
  document.body.addEventListener("htmx:afterSwap", keepSelection);

  function typing(target) { return target.closest("input, textarea, select, [contenteditable]"); }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var focusedRow = event.target.closest && event.target.closest("[data-testid=inbox-row]");
    if ((event.key === " " || event.key === "x") && focusedRow) {
      toggle(focusedRow.querySelector("[data-testid=inbox-row-select]"));
      event.preventDefault();
      return;
    }
    if (event.key === "A" && bar) {
      var visible = boxes();
      var every = visible.length > 0 && visible.every(function (box) { return box.checked; });
      visible.forEach(function (box) { box.checked = !every; });
      updateBar();
      event.preventDefault();
      return;
    }
    if (event.key === "j" || event.key === "k") {
      var all = Array.prototype.slice.call(document.querySelectorAll("[data-testid=inbox-row]"));
      if (!all.length) return;
      var current = all.findIndex(function (row) { return row.hasAttribute("aria-current"); });
      var next = event.key === "j" ? Math.min(current + 1, all.length - 1) : Math.max(current - 1, 0);
      var link = all[next].querySelector(".ticket-link");
      link.click();
      link.focus();
      event.preventDefault();
    } else if (event.key === "/") {
      document.getElementById("inbox-search").focus();
      event.preventDefault();
    } else if (event.key === "?") {
      document.getElementById("shortcuts-help").showModal();
    }
  });

  connect();
})();
