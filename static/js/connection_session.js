// A WhatsApp QR connection's page: the QR codes the gateway offers arrive over /ws/ (to the
// tenant's admins only) and replace the shown one, with a countdown to the next; a change of
// the session's state (connected, dropped) reloads the page, which then shows the number.
(function () {
  "use strict";
  var card = document.querySelector("[data-testid='connection-session']");
  if (!card) return;
  var publicId = card.dataset.connection;
  var image = document.getElementById("session-qr");
  var waiting = document.getElementById("session-qr-waiting");
  var countdown = document.getElementById("session-qr-countdown");
  var pairing = document.getElementById("session-pairing");
  var pairingValue = document.getElementById("session-pairing-value");
  var deadline = null;
  var count = image && image.dataset.count ? image.dataset.count : "";
  var retry = 1000;
  var beat = null;
  var socket = null;

  function tick() {
    if (!countdown || deadline === null) return;
    var seconds = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    countdown.textContent = seconds > 0
      ? countdown.dataset.template.replace("%(count)s", count).replace("%(seconds)s", seconds)
      : countdown.dataset.expired;
  }

  function showQr(qr) {
    if (!image) return;
    image.src = qr.image;
    image.hidden = false;
    image.dataset.count = qr.count;
    count = String(qr.count || "");
    if (waiting) waiting.hidden = true;
    deadline = Date.now() + (qr.expires_in || 0) * 1000;
    if (pairing && qr.pairing_code) {
      pairingValue.textContent = qr.pairing_code;
      pairing.hidden = false;
    }
    tick();
  }

  if (countdown && countdown.dataset.expiresIn) {
    deadline = Date.now() + Number(countdown.dataset.expiresIn) * 1000;
    tick();
  }
  setInterval(tick, 1000);

  function connect() {
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/";
    socket = new WebSocket(url);
    socket.onopen = function () { retry = 1000; };
    socket.onmessage = function (event) {
      var envelope;
      try { envelope = JSON.parse(event.data); } catch (e) { return; }
      var data = envelope.data || {};
      if (envelope.type === "hello") {
        clearInterval(beat);
        beat = setInterval(function () {
          if (socket.readyState === WebSocket.OPEN) {
            socket.send(JSON.stringify({ type: "heartbeat", status: document.hidden ? "away" : "online" }));
          }
        }, (data.heartbeat_interval || 15) * 1000);
        return;
      }
      var connection = data.connection || {};
      if (connection.public_id !== publicId) return;
      if (envelope.type === "connection.qr") showQr(connection);
      if (envelope.type === "connection.session" && connection.state !== card.dataset.state) {
        location.reload();
      }
    };
    socket.onclose = function () {
      clearInterval(beat);
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }

  connect();
})();
