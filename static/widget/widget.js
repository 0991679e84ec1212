/* TikTickets web chat, inside its iframe on the tenant's host. No framework, no build step.
   The visitor token comes from the server (cookie) or this frame's storage and is sent in the
   X-Visitor-Token header; replies arrive on /ws/widget/<id>/ and the history is re-read after
   every reconnect, so nothing is missed. */
(function () {
  "use strict";
  var boot = JSON.parse(document.getElementById("tt-boot").textContent);
  var strings = boot.strings;
  var storageKey = "tt-webchat:" + boot.api;
  var token = boot.token || read();
  var shown = {};      // message id -> element
  var pending = {};    // client id -> element (sent, not yet processed)
  var socket = null;
  var retry = 1000;
  var list = document.getElementById("tt-messages");
  var startForm = document.getElementById("tt-start");
  var chat = document.getElementById("tt-chat");
  var composer = document.getElementById("tt-composer");
  var text = document.getElementById("tt-text");
  var file = document.getElementById("tt-file");
  var typingNote = document.getElementById("tt-typing");
  var typingTimer = null;
  var typingSentAt = 0;   // when this visitor's last "typing" signal left
  var TYPING_EVERY = 2000;   // ms between two signals while the visitor keeps typing
  var TYPING_SHOWN = 6000;   // ms an agent's signal is shown without a new one

  document.documentElement.style.setProperty("--tt-color", document.body.getAttribute("data-color"));
  // The connection's avatar, also shown beside the agent's messages (widget.css).
  if (document.body.getAttribute("data-avatar")) {
    document.documentElement.style.setProperty("--tt-avatar", "url(" + JSON.stringify(document.body.getAttribute("data-avatar")) + ")");
  }

  function read() { try { return window.localStorage.getItem(storageKey) || ""; } catch (e) { return ""; } }
  function write(value) { try { if (value) { window.localStorage.setItem(storageKey, value); } else { window.localStorage.removeItem(storageKey); } } catch (e) { /* storage blocked */ } }

  function uid() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var out = "";
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    for (var i = 0; i < bytes.length; i++) { out += ("0" + bytes[i].toString(16)).slice(-2); }
    return out;
  }

  function api(path, options) {
    options = options || {};
    options.headers = options.headers || {};
    if (token) { options.headers["X-Visitor-Token"] = token; }
    options.credentials = "same-origin";
    return fetch(boot.api + path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return { status: response.status, body: body };
      });
    });
  }

  function showErrors(form, body) {
    var fields = (body && body.extra && body.extra.fields) || {};
    var nodes = document.querySelectorAll(".tt-error");
    for (var i = 0; i < nodes.length; i++) {
      var name = nodes[i].getAttribute("data-for");
      nodes[i].textContent = fields[name] ? fields[name].join(" ") : "";
    }
    if (!Object.keys(fields).length && body && body.message) {
      var general = document.querySelector('.tt-error[data-for="text"]');
      if (general) { general.textContent = body.message; }
    }
  }

  function bubble(message) {
    var item = document.createElement("li");
    item.className = "tt-msg tt-" + message.from;
    item.setAttribute("data-testid", "tt-webchat-message");
    item.setAttribute("data-from", message.from);
    // The text, or what a message without text says it is (a location, a file still loading...).
    var body = document.createElement("p");
    var shown = message.kind === "reaction" ? message.label : message.body;
    if (!shown && !message.media_name) { shown = message.label || message.summary; }
    body.textContent = shown || "";
    item.appendChild(body);
    if (message.media_note) {
      var note = document.createElement("p");
      note.className = "tt-note tt-media-" + message.media_state;
      note.setAttribute("role", "status");
      note.setAttribute("data-testid", "tt-webchat-media-state");
      note.textContent = message.media_note;
      item.appendChild(note);
    }
    (message.details || []).forEach(function (line) {
      var detail = document.createElement("p");
      detail.className = "tt-note";
      detail.textContent = line;
      item.appendChild(detail);
    });
    if (message.link_url && message.link_url.indexOf("https://") === 0) {
      var outside = document.createElement("a");
      outside.href = message.link_url;
      outside.target = "_blank";
      outside.rel = "noopener noreferrer";
      outside.textContent = message.link_text || message.link_url;
      item.appendChild(outside);
    }
    if (message.from === "visitor" && message.id) {  // stored on the ticket: tick it
      var tick = document.createElement("span");
      tick.className = "tt-tick";
      tick.setAttribute("aria-label", strings.received);
      tick.setAttribute("data-testid", "tt-webchat-tick");
      tick.textContent = "\u2713";
      item.appendChild(tick);
    }
    if (message.media_name && message.id) {
      var link = document.createElement("a");
      link.href = boot.api + "media/" + message.id;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = message.media_name || strings.file;
      item.appendChild(link);
    }
    return item;
  }

  function add(message) {
    if (message.id && shown[message.id]) {
      // A reply the agent edited or deleted after it was shown.
      var item = shown[message.id];
      if (message.deleted) {
        item.parentNode.removeChild(item);
        delete shown[message.id];
      } else if (message.update) {
        item.querySelector("p").textContent = message.body || "";
      }
      return;
    }
    if (message.update) { return; }  // a change of a reply this widget does not show
    if (message.client_id && pending[message.client_id]) {
      var old = pending[message.client_id];
      delete pending[message.client_id];
      old.parentNode.removeChild(old);
    }
    var item = bubble(message);
    list.appendChild(item);
    if (message.id) { shown[message.id] = item; }
    list.scrollTop = list.scrollHeight;
  }

  function loadHistory() {
    return api("messages").then(function (result) {
      if (result.status === 403) { forget(); return; }
      if (result.status !== 200) { return; }
      (result.body.messages || []).forEach(add);
    });
  }

  function forget() {
    token = "";
    write("");
    if (socket) { socket.close(); socket = null; }
    chat.hidden = true;
    startForm.hidden = false;
  }

  function connect() {
    if (!token) { return; }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + boot.ws + "?token=" + encodeURIComponent(token));
    socket.onopen = function () {
      retry = 1000;
      loadHistory();
      // Typing that began before the socket was open (it was not sent) is said now.
      if (text.value.trim()) { signalTyping(true); }
    };
    socket.onmessage = function (event) {
      var data = JSON.parse(event.data);
      if (data.type === "typing") { showTyping(data.typing); return; }
      if (data.type === "message") {
        if (data.message.from === "agent") { showTyping(false); }
        // A file, or a message without text (a location...): the history says what it is.
        if (data.message.has_media || !(data.message.body || data.message.summary)) { loadHistory(); } else { add(data.message); }
      }
    };
    socket.onclose = function (event) {
      socket = null;
      if (event.code === 4403) { forget(); return; }
      if (!token) { return; }
      window.setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }

  // The agent is typing: said under the messages until they stop, reply, or go quiet.
  function showTyping(on) {
    window.clearTimeout(typingTimer);
    typingNote.textContent = on ? strings.typing : "";
    if (on) { typingTimer = window.setTimeout(function () { showTyping(false); }, TYPING_SHOWN); }
  }

  // The visitor is typing: at most one signal every TYPING_EVERY ms, and one when they stop.
  function signalTyping(on) {
    if (!socket || socket.readyState !== WebSocket.OPEN) { return; }
    var now = Date.now();
    if (on && now - typingSentAt < TYPING_EVERY) { return; }
    if (!on && !typingSentAt) { return; }
    typingSentAt = on ? now : 0;
    socket.send(JSON.stringify({ type: "typing", typing: on }));
  }

  function openChat() {
    startForm.hidden = true;
    chat.hidden = false;
    if (boot.welcome && !list.children.length) {
      list.appendChild(bubble({ from: "agent", body: boot.welcome }));
    }
    loadHistory().then(connect);
    text.focus();
  }

  function send(clientId, payload, item) {
    var options = { method: "POST" };
    if (payload instanceof FormData) {
      options.body = payload;
    } else {
      options.body = JSON.stringify(payload);
      options.headers = { "Content-Type": "application/json" };
    }
    item.classList.remove("tt-failed");
    return api("messages", options).then(function (result) {
      if (result.status === 202) {  // recorded; the socket brings the stored copy (ticked)
        showErrors(composer, null);
        window.setTimeout(function () {  // no socket, or a slow worker: read it instead
          if (pending[clientId]) { loadHistory(); }
        }, 5000);
        return;
      }
      if (result.status === 403) { forget(); return; }
      item.parentNode && item.parentNode.removeChild(item);
      delete pending[clientId];
      showErrors(composer, result.body);
    }, function () {  // network: keep it, retry on tap with the same id (stored once)
      item.classList.add("tt-failed");
      item.title = strings.failed;
      item.onclick = function () { send(clientId, payload, item); };
    });
  }

  startForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var data = {
      name: document.getElementById("tt-name").value,
      email: document.getElementById("tt-email").value,
      phone: document.getElementById("tt-phone").value
    };
    api("start", { method: "POST", body: JSON.stringify(data), headers: { "Content-Type": "application/json" } })
      .then(function (result) {
        if (result.status !== 201) { showErrors(startForm, result.body); return; }
        token = result.body.token;
        write(token);
        showErrors(startForm, null);
        openChat();
      });
  });

  composer.addEventListener("submit", function (event) {
    event.preventDefault();
    var value = text.value.trim();
    var chosen = file.files && file.files[0];
    if (!value && !chosen) { return; }
    var clientId = uid();
    var payload;
    if (chosen) {
      payload = new FormData();
      payload.append("client_id", clientId);
      payload.append("text", value);
      payload.append("file", chosen);
    } else {
      payload = { client_id: clientId, text: value };
    }
    var item = bubble({ from: "visitor", body: value || chosen.name });
    item.classList.add("tt-pending");
    pending[clientId] = item;
    list.appendChild(item);
    list.scrollTop = list.scrollHeight;
    text.value = "";
    file.value = "";
    signalTyping(false);
    send(clientId, payload, item);
  });

  text.addEventListener("input", function () { signalTyping(text.value.trim() !== ""); });

  text.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });

  if (token) { write(token); openChat(); } else { startForm.hidden = false; }
})();
