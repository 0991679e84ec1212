// The live panel: a /ws/ socket (presence heartbeats included); when it reports a change of a
// ticket or a presence, the panel is read again (one request per burst of events, no polling).
(function () {
  "use strict";
  var panel = document.getElementById("live-panel");
  if (!panel) return;
  var status = document.getElementById("live-status");
  var socket = null;
  var retry = 1000;
  var beat = null;
  var pending = null;
  var RELEVANT = /^(ticket\.|message\.created|presence\.changed|access\.changed|resync)/;

  function setLive(online) {
    if (!status) return;
    status.textContent = online ? status.dataset.online : status.dataset.offline;
  }

  function refresh() {
    clearTimeout(pending);
    pending = setTimeout(function () {
      document.body.dispatchEvent(new CustomEvent("tt:live-refresh"));
    }, 300);
  }

  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  }

  function connect() {
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/";
    socket = new WebSocket(url);
    socket.onopen = function () { retry = 1000; setLive(true); };
    socket.onmessage = function (event) {
      var envelope;
      try { envelope = JSON.parse(event.data); } catch (e) { return; }
      if (envelope.type === "hello") {
        clearInterval(beat);
        beat = setInterval(function () {
          send({ type: "heartbeat", status: document.hidden ? "away" : "online" });
        }, (envelope.data.heartbeat_interval || 15) * 1000);
        refresh(); // whatever happened while the page loaded or the socket was down
        return;
      }
      if (RELEVANT.test(envelope.type || "")) refresh();
    };
    socket.onclose = function () {
      setLive(false);
      clearInterval(beat);
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }

  connect();
})();
