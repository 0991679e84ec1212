// The open ticket: composer (Enter sends, "/" quick replies, note mode, reply-to, files by
// picker or drop), live messages and header from the inbox's "tt:ws" events, typing/viewing.
// The composer's emoji, pasted images, attachment preview and voice notes: composer.js.
(function () {
  "use strict";
  function panel() { return document.querySelector("[data-testid=ticket-panel]"); }
  function input() { return document.getElementById("composer-input"); }
  function menu() { return document.getElementById("quick-reply-menu"); }
  function scrollDown() {
    var history = document.getElementById("ticket-history");
    if (history) history.scrollTop = history.scrollHeight;
  }

  var viewing = null;
  function announceViewing() {
    var p = panel();
    var id = p ? p.dataset.ticketId : null;
    if (id === viewing || !window.ttSocket) return;
    viewing = id;
    window.ttSocket.send({ type: "viewing", ticket: id });
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && (target.id === "ticket-panel" || target.classList.contains("ticket-panel"))) {
      scrollDown();
      announceViewing();
    }
    if (target && target.id === "ticket-messages") {
      scrollDown();
      var templateForm = document.getElementById("template-composer");
      if (templateForm && event.detail.requestConfig && event.detail.requestConfig.verb === "post") {
        // A template went out: start over with the choice of template.
        templateForm.reset();
        document.getElementById("template-fields").innerHTML = "";
        dedupe();  // the live event may have shown it already
      }
      var field = input();
      if (field && event.detail.requestConfig && event.detail.requestConfig.verb === "post") {
        var form = document.getElementById("composer");
        field.value = "";
        signalTyping(false);
        form.querySelector("[name=quoted]").value = "";
        form.querySelector("[name=scheduled_at]").value = "";
        clearFile();
        document.getElementById("reply-banner").hidden = true;
        dedupe();
      }
    }
  });

  // Keep one element per message id (the POST answer and the live event can both arrive).
  function dedupe() {
    var seen = {};
    document.querySelectorAll("#ticket-messages [data-message-id]").forEach(function (li) {
      var id = li.dataset.messageId;
      if (seen[id]) seen[id].remove();
      seen[id] = li;
    });
  }

  function fetchMessage(id) {
    var p = panel();
    if (!p) return;
    // A message being edited or forwarded keeps its form; the save answers its new state.
    var open = document.querySelector('#ticket-messages [data-message-id="' + id + '"]');
    if (open && open.querySelector(".message-edit-form, .message-forward-form")) return;
    fetch(p.dataset.messageUrl + id + "/", { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var holder = document.createElement("ol");
        holder.innerHTML = html.trim();
        var li = holder.firstElementChild;
        var existing = document.querySelector('#ticket-messages [data-message-id="' + id + '"]');
        // A form opened while this answer was on its way stays (checked again on arrival).
        if (existing && existing.querySelector(".message-edit-form, .message-forward-form")) return;
        if (existing) { existing.replaceWith(li); } else {
          document.getElementById("ticket-messages").appendChild(li);
          scrollDown();
        }
        htmx.process(li);
      });
  }

  function refreshHeader() {
    var p = panel();
    if (!p) return;
    var dialog = document.getElementById("transfer-dialog");
    if (dialog && dialog.open) return;
    htmx.ajax("GET", p.dataset.headerUrl, { target: "#panel-header", swap: "outerHTML" });
  }

  // Someone else (a colleague, or the web chat visitor) is typing on this ticket: said under
  // the history until they stop or go quiet for a few seconds (signals repeat while typing).
  var typingTimer = null;
  function showTyping(name, on) {
    var indicator = document.getElementById("typing-indicator");
    if (!indicator) return;
    clearTimeout(typingTimer);
    indicator.hidden = !on;
    indicator.textContent = on ? indicator.dataset.typingText.replace("{name}", name) : "";
    if (on) typingTimer = setTimeout(function () { showTyping("", false); }, 6000);
  }
  // This agent's own typing, at most one signal every two seconds; "note" while writing an
  // internal note (a web chat visitor is told only of replies being written).
  var lastTyping = 0;
  function signalTyping(on) {
    var p = panel();
    if (!p || !window.ttSocket) return;
    var now = Date.now();
    if (on && now - lastTyping < 2000) return;
    if (!on && !lastTyping) return;
    lastTyping = on ? now : 0;
    var note = document.getElementById("composer-note");
    window.ttSocket.send({ type: "typing", ticket: p.dataset.ticketId, typing: on, note: !!(note && note.checked) });
  }

  document.addEventListener("tt:ws", function (event) {
    var envelope = event.detail;
    var data = envelope.data || {};
    var p = panel();
    if (envelope.type === "hello") { viewing = null; announceViewing(); return; }
    if (!p) return;
    if (envelope.type === "contact.updated" || envelope.type === "tag.changed") {
      // The header shows the contact's name and tags (edited in the side panel, say).
      if (envelope.type === "tag.changed" || (data.contact && data.contact.public_id === p.dataset.contactId)) refreshHeader();
      return;
    }
    var id = p.dataset.ticketId;
    var ticketId = data.ticket && (data.ticket.public_id || data.ticket);
    if (data.message && (envelope.type.indexOf("message.") === 0)) {
      if (String(data.message.ticket || ticketId) === id) {
        fetchMessage(data.message.public_id || data.message.id);
        if (data.message.scheduled_at) htmx.trigger(document.body, "tt:scheduled-refresh");
      }
    } else if (ticketId === id && envelope.type.indexOf("ticket.") === 0) {
      if (envelope.type === "ticket.hidden") {
        // This agent's own action (a transfer away) is on its way: its answer explains it.
        if (p.querySelector(".htmx-request")) return;
        var gone = document.createElement("p");
        gone.className = "empty-panel muted";
        gone.dataset.testid = "panel-gone";
        gone.textContent = document.getElementById("ticket-panel").dataset.goneText || "";
        p.replaceWith(gone);
        return;
      }
      if (envelope.type === "ticket.viewers") {
        var others = (data.viewers || []).filter(function (v) { return String(v.id) !== p.dataset.userId; });
        var box = document.getElementById("ticket-viewers");
        box.hidden = !others.length;
        box.textContent = others.map(function (v) { return "👁 " + v.name; }).join("  ");
        return;
      }
      refreshHeader();
    } else if (envelope.type === "typing" && ticketId === id && String(data.user.id) !== p.dataset.userId) {
      showTyping(data.user.name, data.typing);
    } else if (envelope.type === "contact.typing" && ticketId === id) {
      showTyping(data.contact.name, data.typing);
    }
  });

  // An action took the ticket out of sight (transferred away): say so, drop its row, stop
  // viewing it, and on a phone go back to the list.
  document.addEventListener("tt:ticket-gone", function (event) {
    var detail = event.detail || {};
    if (window.ttToast && detail.message) window.ttToast(detail.message);
    if (window.ttSocket) window.ttSocket.send({ type: "viewing", ticket: null });
    viewing = null;
    var row = document.querySelector('[data-testid=inbox-row][data-ticket-id="' + detail.ticket + '"]');
    if (row) row.remove();
    var main = document.querySelector("main");
    if (main) main.classList.remove("has-ticket");
    var url = new URL(location.href);
    if (url.searchParams.get("ticket") === detail.ticket) {
      url.searchParams.delete("ticket");
      history.replaceState(history.state, "", url.pathname + url.search);
    }
  });

  // A message action's answer names the message added or changed (a reaction, a cancelled
  // scheduled message): fetch it; and say what happened elsewhere (a forward).
  document.addEventListener("tt:message-changed", function (event) {
    var detail = event.detail || {};
    if (detail.message) fetchMessage(detail.message);
    htmx.trigger(document.body, "tt:scheduled-refresh");
  });
  document.addEventListener("tt:notice", function (event) {
    var detail = event.detail || {};
    if (window.ttToast && detail.message) window.ttToast(detail.message);
  });
  // The per-message actions menu (a <details>): Escape closes it and gives the focus back to
  // its toggle; opening one, or clicking elsewhere, closes the others.
  function closeMenus(except) {
    document.querySelectorAll("details.message-actions[open]").forEach(function (menu) {
      if (menu !== except) menu.open = false;
    });
  }
  document.addEventListener("toggle", function (event) {
    var menu = event.target;
    if (menu.classList && menu.classList.contains("message-actions") && menu.open) closeMenus(menu);
  }, true);
  document.addEventListener("click", function (event) {
    if (!event.target.closest("details.message-actions")) closeMenus(null);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var menu = event.target.closest && event.target.closest("details.message-actions[open]");
    if (menu) {
      menu.open = false;
      menu.querySelector("summary").focus();
      event.stopPropagation();
    }
  });

  // Below 1100 px the contact panel is a drawer, opened from the header's "Contact" button.
  function setContactDrawer(open) {
    var p = panel();
    if (!p) return;
    p.classList.toggle("contact-open", open);
    document.querySelectorAll("[data-contact-toggle]").forEach(function (button) {
      button.setAttribute("aria-expanded", String(open));
    });
    var target = open ? document.querySelector(".contact-drawer-close") : document.querySelector(".contact-toggle");
    if (target && target.offsetParent !== null) target.focus();
  }
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-contact-toggle]")) {
      var p = panel();
      setContactDrawer(!(p && p.classList.contains("contact-open")));
    }
  });
  document.addEventListener("keydown", function (event) {
    var p = panel();
    if (event.key === "Escape" && p && p.classList.contains("contact-open") && !document.querySelector("dialog[open]")) {
      setContactDrawer(false);
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var p = panel();
    if (p && event.detail.target && event.detail.target.id === "panel-header") {
      var open = p.classList.contains("contact-open");
      document.querySelectorAll("[data-contact-toggle]").forEach(function (button) {
        button.setAttribute("aria-expanded", String(open));
      });
    }
  });

  // Quick replies: "/" at the start of the composer opens the menu, filtered as one types.
  var menuRequests = 0;
  document.addEventListener("input", function (event) {
    if (event.target.id !== "composer-input") return;
    signalTyping(event.target.value.trim() !== "");
    var value = event.target.value;
    var list = menu();
    var match = /^\/(\S*)$/.exec(value);
    if (!match) { menuRequests++; list.hidden = true; return; }
    var url = document.getElementById("composer").dataset.quickRepliesUrl + "?q=" + encodeURIComponent(match[1]);
    var asked = ++menuRequests;
    fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        // A late answer to an earlier keystroke, or one arriving after a reply was picked or
        // the text changed, must not reopen the menu (Enter would pick again instead of send).
        if (asked !== menuRequests || input().value !== value) return;
        list.innerHTML = html;
        list.hidden = false;
      });
  });
  // The composer's file: one attached by the agent, or the file of the quick reply picked.
  function showFile(name) {
    document.getElementById("composer-file").textContent = name;
    document.getElementById("composer-file-clear").hidden = !name;
  }
  function clearFile() {
    var attach = document.getElementById("composer-attach");
    attach.value = "";
    document.getElementById("composer-quick-reply").value = "";
    showFile("");
    attach.dispatchEvent(new Event("change", { bubbles: true }));  // composer.js: no preview
  }
  function choose(option) {
    menuRequests++;  // answers still on their way are stale now
    var field = input();
    field.value = option.dataset.text;
    if (option.dataset.file) {
      var attach = document.getElementById("composer-attach");
      attach.value = "";
      attach.dispatchEvent(new Event("change", { bubbles: true }));
      document.getElementById("composer-quick-reply").value = option.dataset.id;
      showFile("📎 " + option.dataset.file);
    } else if (document.getElementById("composer-quick-reply").value) {
      clearFile();  // the file of a reply picked before does not go with this one
    }
    menu().hidden = true;
    field.focus();
  }
  document.addEventListener("click", function (event) {
    var option = event.target.closest(".quick-reply-option");
    if (option) { choose(option); return; }
    if (event.target.id === "composer-file-clear") { clearFile(); input().focus(); return; }
    var reply = event.target.closest(".reply-to");
    if (reply) {
      document.getElementById("composer-quoted").value = reply.dataset.replyTo;
      document.getElementById("reply-preview").textContent = reply.dataset.preview;
      document.getElementById("reply-banner").hidden = false;
      input().focus();
      return;
    }
    if (event.target.id === "reply-cancel") {
      document.getElementById("composer-quoted").value = "";
      document.getElementById("reply-banner").hidden = true;
      return;
    }
    var opener = event.target.closest("[data-open-dialog]");
    if (opener) { document.getElementById(opener.dataset.openDialog).showModal(); return; }
    var closer = event.target.closest("[data-close-dialog]");
    if (closer) closer.closest("dialog").close();
  });
  document.addEventListener("keydown", function (event) {
    var list = menu();
    if (event.target.id === "composer-input") {
      if (list && !list.hidden) {
        var options = Array.prototype.slice.call(list.querySelectorAll(".quick-reply-option"));
        var current = options.findIndex(function (o) { return o.getAttribute("aria-selected") === "true"; });
        if (event.key === "ArrowDown" || event.key === "ArrowUp") {
          var next = event.key === "ArrowDown" ? Math.min(current + 1, options.length - 1) : Math.max(current - 1, 0);
          options.forEach(function (o, i) { o.setAttribute("aria-selected", String(i === next)); });
          event.preventDefault();
          return;
        }
        if (event.key === "Enter" && options.length) { choose(options[Math.max(current, 0)]); event.preventDefault(); return; }
        if (event.key === "Escape") { list.hidden = true; return; }
      }
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        htmx.trigger(document.getElementById("composer"), "submit");
        return;
      }
      if (event.key === "Escape") { event.target.blur(); return; }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, textarea, select, [contenteditable]")) return;
    var note = document.getElementById("composer-note");
    if ((event.key === "r" || event.key === "n") && input()) {
      if (note) { note.checked = event.key === "n"; note.dispatchEvent(new Event("change", { bubbles: true })); }
      input().focus();
      event.preventDefault();
    } else if (event.key === "c") {
      var close = document.querySelector("[data-testid=ticket-close]");
      if (close) close.click();
    }
  });
  document.addEventListener("change", function (event) {
    if (event.target.id === "composer-note") {
      var field = input();
      field.classList.toggle("note-mode", event.target.checked);
      if (!field.dataset.placeholderReply) field.dataset.placeholderReply = field.placeholder;
      field.placeholder = event.target.checked ? field.dataset.placeholderNote : field.dataset.placeholderReply;
    }
    if (event.target.id === "composer-attach" && event.target.files.length) {
      // An attached file (shown by composer.js) replaces a quick reply's file.
      document.getElementById("composer-quick-reply").value = "";
      showFile("");
    }
  });
  // Files dropped on the panel go to the composer's file input.
  document.addEventListener("dragover", function (event) {
    if (event.target.closest && event.target.closest("[data-testid=ticket-panel]") && document.getElementById("composer-attach")) event.preventDefault();
  });
  document.addEventListener("drop", function (event) {
    var attach = document.getElementById("composer-attach");
    if (!attach || !event.target.closest || !event.target.closest("[data-testid=ticket-panel]")) return;
    event.preventDefault();
    if (event.dataTransfer.files.length) {
      attach.files = event.dataTransfer.files;
      attach.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
  // An e-mail's "Show images": its frame gets the HTML with remote images only when asked for
  // (an iframe's srcdoc loads even inside a closed <details>, which would tell the sender).
  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (!details.matches || !details.matches("[data-testid=email-show-images]") || !details.open) return;
    var frame = details.querySelector("iframe[data-srcdoc]");
    if (frame && !frame.getAttribute("srcdoc")) frame.setAttribute("srcdoc", frame.dataset.srcdoc);
  }, true);
})();
