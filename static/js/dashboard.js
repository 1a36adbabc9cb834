// Draws the dashboard charts from the JSON the page embeds (json_script): no data in the markup.
(function () {
  "use strict";

  function readJson(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  // Vertical lines for the campaign's deadlines (and today) on a category x axis.
  var deadlineLines = {
    id: "deadlineLines",
    afterDatasetsDraw: function (chart, args, options) {
      var xScale = chart.scales.x, area = chart.chartArea, ctx = chart.ctx;
      (options.lines || []).forEach(function (line) {
        var index = chart.data.labels.indexOf(line.date);
        if (index < 0) return;
        var x = xScale.getPixelForValue(index);
        ctx.save();
        ctx.strokeStyle = line.colour;
        ctx.setLineDash(line.dash || []);
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.moveTo(x, area.top);
        ctx.lineTo(x, area.bottom);
        ctx.stroke();
        ctx.fillStyle = line.colour;
        ctx.font = "12px system-ui, sans-serif";
        ctx.textAlign = x > area.right - 80 ? "right" : "left";
        ctx.fillText(line.label, x + (ctx.textAlign === "left" ? 4 : -4), area.top + 12);
        ctx.restore();
      });
    }
  };

  function drawBurndown() {
    var data = readJson("burndown-data"), canvas = document.getElementById("burndown-chart");
    if (!data || !canvas) return null;
    var datasets = [{
      label: "Domains with legacy references",
      data: data.legacy,
      borderColor: "#dc3545",
      backgroundColor: "rgba(220, 53, 69, 0.15)",
      fill: true,
      pointRadius: data.labels.length > 60 ? 0 : 2,
      stepped: true,
      spanGaps: false
    }];
    if (data.legacy_customers) {
      datasets.push({
        label: "Customers with a legacy domain",
        data: data.legacy_customers,
        borderColor: "#6f42c1",
        pointRadius: 0,
        stepped: true,
        fill: false
      });
    }
    if (data.unknown) {
      datasets.push({
        label: "Domains unknown (lookup failed)",
        data: data.unknown,
        borderColor: "#ffc107",
        pointRadius: 0,
        stepped: true,
        fill: false
      });
    }
    if (data.projected && data.forecast) {
      datasets.push({
        label: "At the pace of the last 14 days",
        data: data.projected,
        borderColor: "#dc3545",
        borderDash: [2, 4],
        pointRadius: 0,
        fill: false
      });
    }
    if (data.target && data.target.length) {
      datasets.push({
        label: "On track to zero by the end date",
        data: data.target,
        borderColor: "#6c757d",
        borderDash: [6, 4],
        pointRadius: 0,
        fill: false
      });
    }
    var lines = [{date: data.today, label: "today", colour: "#0d6efd", dash: [2, 3]}];
    if (data.end_date) lines.push({date: data.end_date, label: "end date", colour: "#fd7e14"});
    if (data.cleanup_date) lines.push({date: data.cleanup_date, label: "cleanup", colour: "#212529"});
    if (data.forecast) lines.push({date: data.forecast, label: "forecast", colour: "#dc3545", dash: [2, 4]});
    return new Chart(canvas, {
      type: "line",
      data: {labels: data.labels, datasets: datasets},
      options: {
        maintainAspectRatio: false,
        animation: false,
        interaction: {mode: "index", intersect: false},
        scales: {
          y: {beginAtZero: true, ticks: {precision: 0}, title: {display: true, text: "domains / customers"}},
          x: {ticks: {maxTicksLimit: 12}}
        },
        plugins: {deadlineLines: {lines: lines}, legend: {position: "bottom"}}
      },
      plugins: [deadlineLines]
    });
  }

  function drawPosture() {
    var data = readJson("posture-data"), canvas = document.getElementById("posture-chart");
    if (!data || !canvas) return null;
    return new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [{
          label: "% of checked domains",
          data: data.percent,
          backgroundColor: ["#198754", "#ffc107", "#198754", "#ffc107", "#0dcaf0", "#0d6efd", "#6c757d"]
        }]
      },
      options: {
        indexAxis: "y",
        maintainAspectRatio: false,
        animation: false,
        scales: {x: {min: 0, max: 100, ticks: {callback: function (v) { return v + "%"; }}}},
        plugins: {
          legend: {display: false},
          tooltip: {callbacks: {label: function (item) { return item.raw + "% (" + data.counts[item.dataIndex] + ")"; }}}
        }
      }
    });
  }

  function draw() {
    if (typeof Chart === "undefined") return;
    // Kept for tests and the console: the page's Chart instances.
    window.trackerCharts = {burndown: drawBurndown(), posture: drawPosture()};
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
