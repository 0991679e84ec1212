// A campaign's page: its progress arrives over /ws/ (campaign.progress, to the tenant's
// admins only) and updates the bar and the counts in place; a change of status reloads the
// page, which then offers the buttons of the new status.
(function () {
  "use strict";
  var card = document.querySelector("[data-testid='campaign-progress']");
  if (!card) return;
  var publicId = card.dataset.campaign;
  var bar = document.getElementById("campaign-bar");
  var percent = document.getElementById("campaign-percent");
  var retry = 1000;
  var beat = null;
  var socket = null;

  function show(campaign) {
    var counts = campaign.counts || {};
    bar.value = counts.percent || 0;
    bar.textContent = (counts.percent || 0) + "%";
    percent.textContent = counts.percent || 0;
    card.querySelectorAll("[data-count]").forEach(function (cell) {
      var value = counts[cell.dataset.count];
      if (value !== undefined) cell.textContent = value;
    });
    if (campaign.status !== card.dataset.status) location.reload();
  }

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
      if (envelope.type !== "campaign.progress") return;
      var campaign = data.campaign || {};
      if (campaign.id === publicId) show(campaign);
    };
    socket.onclose = function () {
      clearInterval(beat);
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }

  connect();
})();
