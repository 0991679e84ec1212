/* TikTickets web chat loader: adds a launcher button and the chat frame to this page. */
(function () {
  "use strict";
  var config = {{ config|safe }};
  if (window.__tiktickets_webchat) { return; }
  window.__tiktickets_webchat = true;
  var here = window.location.origin;
  if (here !== config.self && config.origins.indexOf(here) === -1) {
    if (window.console) { console.warn("TikTickets chat: " + here + " is not an allowed origin of this chat."); }
    return;
  }
  function start() {
    var frame = document.createElement("iframe");
    frame.src = config.frame;
    frame.title = config.title;
    frame.setAttribute("data-testid", "tt-webchat-frame");
    frame.setAttribute("allow", "clipboard-write");
    var s = frame.style;
    s.position = "fixed"; s.right = "20px"; s.bottom = "90px"; s.width = "360px"; s.height = "520px";
    s.maxWidth = "calc(100vw - 40px)"; s.maxHeight = "calc(100vh - 120px)"; s.border = "0";
    s.borderRadius = "12px"; s.boxShadow = "0 8px 30px rgba(0,0,0,.25)"; s.zIndex = "2147483646";
    s.display = "none"; s.background = "#fff";
    var button = document.createElement("button");
    button.type = "button";
    button.setAttribute("aria-label", config.title);
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("data-testid", "tt-webchat-launcher");
    button.textContent = "\uD83D\uDCAC";
    var b = button.style;
    b.position = "fixed"; b.right = "20px"; b.bottom = "20px"; b.width = "56px"; b.height = "56px";
    b.borderRadius = "50%"; b.border = "0"; b.cursor = "pointer"; b.fontSize = "26px";
    b.background = config.color; b.color = "#fff"; b.zIndex = "2147483647";
    b.boxShadow = "0 4px 14px rgba(0,0,0,.3)";
    button.addEventListener("click", function () {
      var open = frame.style.display === "none";
      frame.style.display = open ? "block" : "none";
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
    document.body.appendChild(frame);
    document.body.appendChild(button);
  }
  if (document.body) { start(); } else { document.addEventListener("DOMContentLoaded", start); }
})();
