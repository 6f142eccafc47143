// Draws each figure of the dashboard with Chart.js; the numbers are also in the table below it.
(function () {
  "use strict";
  var figures = JSON.parse(document.getElementById("figures").textContent);
  var labels = JSON.parse(document.getElementById("labels").textContent);
  var colours = ["#1b6ca8", "#e07a1f", "#3b9c5a", "#b8333a", "#7a5aa6", "#8c6d31",
                 "#d45d9c", "#5f6b73", "#b5a22b", "#2aa0a4"];
  function name(key) { return labels[key] || key; }
  document.querySelectorAll("canvas[data-figure]").forEach(function (canvas) {
    var f = figures[canvas.dataset.figure];
    if (!f) { return; }
    // A count beside minutes is in the table only: one unit a chart.
    f = { chart: f.chart, columns: f.columns,
          rows: f.rows.filter(function (r) { return r[0] !== "answered_tickets"; }) };
    var x = f.rows.map(function (r) { return name(String(r[0])); });
    var series = f.columns.slice(1).map(function (column, i) {
      return {
        label: name(column),
        data: f.rows.map(function (r) { return r[i + 1]; }),
        backgroundColor: f.chart === "doughnut" ? colours : colours[i % colours.length],
        borderColor: colours[i % colours.length]
      };
    }).filter(function (s, i) { return f.columns[i + 1] !== "percent"; });
    var stacked = f.chart === "stacked";
    new Chart(canvas, {
      type: f.chart === "doughnut" || f.chart === "line" ? f.chart : "bar",
      data: { labels: x, datasets: series },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: f.chart === "doughnut" ? {} : {
          x: { stacked: stacked }, y: { stacked: stacked, beginAtZero: true }
        }
      }
    });
    canvas.dataset.drawn = "1";
  });
})();
