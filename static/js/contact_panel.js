// The contact side panel (tickets/partials/_contact_panel.html). It is loaded into the ticket
// panel with each ticket, so this file guards against running twice.
(function () {
  "use strict";
  if (window.ttContactPanel) return;
  window.ttContactPanel = true;

  function panelOf(node) {
    return node && node.closest ? node.closest("[data-testid='contact-panel']") : null;
  }

  // A refused edit answers 400 with the section re-rendered and the error next to its field
  // (marked X-Form-Invalid): swap it in instead of treating it as a failed request.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status === 400 && xhr.getResponseHeader("X-Form-Invalid") && panelOf(event.detail.elt)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Someone changed this contact (another agent, the API, a merge): reload the panel, unless
  // the agent is in the middle of editing it.
  document.addEventListener("tt:ws", function (event) {
    var envelope = event.detail || {};
    if (envelope.type !== "contact.updated" || !envelope.data || !envelope.data.contact) return;
    var panel = document.querySelector("[data-testid='contact-panel']");
    if (!panel || panel.dataset.contactId !== String(envelope.data.contact.public_id)) return;
    if (panel.querySelector("details[open]") || panel.contains(document.activeElement)) return;
    if (window.htmx) {
      window.htmx.ajax("GET", panel.dataset.refreshUrl, { target: panel, swap: "outerHTML" });
    }
  });
})();
