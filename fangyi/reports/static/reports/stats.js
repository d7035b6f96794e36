// The trend chart of confirmed cases (ECharts from static/vendor, no CDN).
//
// Its sizes follow the chart's width, so that a phone reads it as well as a desktop: 60
// days on a phone leave under 6 px a day, so each day's bar is at most about half of its
// slot (a gap on both sides, never two bars running into one), the axis names a few days
// (a label per 70 px as MM-DD when narrow, per 105 px as a full date) and the line draws no dot per day. The
// legend sits above the plot and the labels inside the chart (containLabel), where
// ECharts 6's defaults put the legend over the dates at the bottom.
(function () {
  "use strict";
  var el = document.getElementById("trend");
  var source = document.getElementById("trend-data");
  if (!el || !source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var NARROW_PX = 600;
  var LABEL_PX = 70;
  var MAX_BAR_PX = 16;

  function option(width) {
    var days = data.days.length || 1;
    var narrow = width < NARROW_PX;
    // The plot is the chart less the two value axes' labels (about 30 px each).
    var slot = Math.max(1, (width - 60) / days);
    var labels = Math.max(2, Math.floor((width - 60) / (narrow ? LABEL_PX : LABEL_PX * 1.5)));
    return {
      // Drawn on the canvas: the HTML tooltip writes style="" attributes, which the
      // Content-Security-Policy refuses (settings.CONTENT_SECURITY_POLICY).
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { top: 0, data: [data.labels.new, data.labels.cumulative] },
      grid: { left: 8, right: 8, top: 36, bottom: 8 },
      xAxis: {
        type: "category",
        data: data.days,
        axisTick: { alignWithLabel: true, interval: Math.ceil(days / labels) - 1 },
        axisLabel: {
          interval: Math.ceil(days / labels) - 1,
          hideOverlap: true,
          formatter: narrow ? function (day) { return day.slice(5); } : "{value}"
        }
      },
      yAxis: [{ type: "value", minInterval: 1 }, { type: "value", minInterval: 1 }],
      series: [
        {
          name: data.labels.new,
          type: "bar",
          data: data.new,
          barMaxWidth: Math.max(1, Math.min(MAX_BAR_PX, Math.floor(slot / 2))),
          itemStyle: { color: "#c62828" }
        },
        {
          name: data.labels.cumulative,
          type: "line",
          yAxisIndex: 1,
          data: data.cumulative,
          showSymbol: slot >= 12,
          itemStyle: { color: "#455a64" }
        }
      ]
    };
  }

  var chart = window.echarts.init(el);
  chart.setOption(option(el.clientWidth));
  window.addEventListener("resize", function () {
    chart.resize();
    chart.setOption(option(el.clientWidth));
  });
})();
