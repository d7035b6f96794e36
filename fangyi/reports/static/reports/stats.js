// The trend chart of confirmed cases (ECharts from static/vendor, no CDN).
(function () {
  var el = document.getElementById("trend");
  var data = JSON.parse(document.getElementById("trend-data").textContent);
  if (!el || !window.echarts) return;
  var chart = window.echarts.init(el);
  chart.setOption({
    // Drawn on the canvas: the HTML tooltip writes style="" attributes, which the
    // Content-Security-Policy refuses (settings.CONTENT_SECURITY_POLICY).
    tooltip: { trigger: "axis", renderMode: "richText" },
    legend: { data: [data.labels.new, data.labels.cumulative] },
    grid: { left: 40, right: 40, bottom: 30, top: 40 },
    xAxis: { type: "category", data: data.days },
    yAxis: [{ type: "value", minInterval: 1 }, { type: "value", minInterval: 1 }],
    series: [
      { name: data.labels.new, type: "bar", data: data.new, itemStyle: { color: "#c62828" } },
      { name: data.labels.cumulative, type: "line", yAxisIndex: 1, data: data.cumulative, itemStyle: { color: "#455a64" } }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
