// Behaviour shared by every dashboard page: the phone menu, confirmations before deletions,
// and no request failing silently.
(function () {
  "use strict";

  function toast(text) {
    var box = document.getElementById("toast");
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
    clearTimeout(box._timer);
    box._timer = setTimeout(function () { box.hidden = true; }, 6000);
  }
  window.ttToast = toast;

  // Admins: a WhatsApp QR number that was connected dropped (pages with a live socket
  // re-dispatch its events as "tt:ws"; only admins' sockets receive these).
  document.addEventListener("tt:ws", function (event) {
    var envelope = event.detail || {};
    var connection = (envelope.data || {}).connection || {};
    var text = document.body.dataset.connectionDropped;
    if (envelope.type !== "connection.session" || !connection.dropped || !text) return;
    toast(text.replace("%(name)s", connection.name || ""));
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest(".nav-toggle");
    if (!button) return;
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    document.body.classList.toggle("nav-open", open);
  });

  // Forms marked data-confirm (deletions) ask first, naming what will be lost.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // A fragment request that fails shows the server's message ({code, message} bodies, or the
  // X-Error-Message header a dashboard view sets), else a generic one: never a silent no-op.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var text = xhr.getResponseHeader("X-Error-Message");
    if (!text) {
      try { text = JSON.parse(xhr.responseText).message; } catch (e) { text = null; }
    }
    toast(text ? decodeURIComponent(text) : document.body.dataset.errorGeneric || "Error " + xhr.status);
  });
  // The editors' variable picker: a button puts its variable where the cursor is in its text
  // box (replacing the selection) and leaves the cursor after it.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-insert]");
    var picker = button && button.closest("[data-variables-for]");
    var box = picker && document.getElementById(picker.dataset.variablesFor);
    if (!box) return;
    var start = box.selectionStart == null ? box.value.length : box.selectionStart;
    var end = box.selectionEnd == null ? start : box.selectionEnd;
    box.setRangeText(button.dataset.insert, start, end, "end");
    box.focus();
    box.dispatchEvent(new Event("input", { bubbles: true }));
  });
  document.addEventListener("htmx:sendError", function () {
    toast(document.body.dataset.errorOffline || "Offline");
  });
})();
