// The reports dashboard: draws the charts from the figures the server embedded
// (#report-charts); each chart has a table view in the page, so nothing depends on this script.
(function () {
  "use strict";

  function data() {
    var node = document.getElementById("report-charts");
    return node ? JSON.parse(node.textContent) : null;
  }

  function draw(id, type, labels, datasets, options) {
    var canvas = document.getElementById(id);
    if (!canvas || !window.Chart) return;
    new window.Chart(canvas, {
      type: type,
      data: { labels: labels, datasets: datasets },
      options: Object.assign(
        { responsive: true, maintainAspectRatio: false, animation: false },
        options || {}
      ),
    });
  }

  // A colour of css/tokens.css as the browser resolves it in the current theme (the custom
  // property itself holds light-dark(...), which the canvas cannot read).
  function tokenColour(name) {
    var probe = document.createElement("span");
    probe.hidden = true;
    probe.style.color = "var(" + name + ")";
    document.body.appendChild(probe);
    var colour = getComputedStyle(probe).color;
    probe.remove();
    return colour;
  }

  function init() {
    var charts = data();
    if (!charts || !window.Chart) return;
    var words = charts.labels;
    window.Chart.defaults.color = tokenColour("--color-muted");
    window.Chart.defaults.borderColor = tokenColour("--color-border");
    var palette = [1, 2, 3, 4, 5, 6, 7].map(function (n) { return tokenColour("--color-chart-" + n); });
    draw("chart-daily", "line", charts.daily.labels, [
      { label: words.attendances, data: charts.daily.values, borderColor: palette[0],
        backgroundColor: palette[0], tension: 0.2 },
    ], { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } });
    draw("chart-channels", "doughnut", charts.channels.labels, [
      { data: charts.channels.values, backgroundColor: palette },
    ]);
    draw("chart-queues", "bar", charts.queues.labels, [
      { label: words.attendances, data: charts.queues.values, backgroundColor: palette[1] },
    ], { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } });
    draw("chart-agents", "bar", charts.agents.labels, [
      { label: words.taken, data: charts.agents.values, backgroundColor: palette[0] },
      { label: words.closed, data: charts.agents.closed, backgroundColor: palette[2] },
    ], { indexAxis: "y", scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } });
  }

  // The custom dates matter only for the "custom" period.
  function syncDates() {
    var period = document.getElementById("id_period");
    if (!period) return;
    var custom = period.value === "custom";
    document.querySelectorAll(".report-date").forEach(function (box) {
      box.hidden = !custom;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    init();
    syncDates();
    var period = document.getElementById("id_period");
    if (period) period.addEventListener("change", syncDates);
  });
})();
