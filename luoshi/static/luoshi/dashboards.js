// Dashboard charts: the data comes from a JSON script tag (no inline script, CSP stays strict).
// The lights' and states' colours mean the same on every chart as on the badges (已销号 green,
// 未开始 grey, 逾期 red …); numbers are written the Chinese way (1,000, never 1.000); a label
// marked "（本周至今）" is the current, partial week and is drawn apart.
(() => {
  const palette = ["#206bc4", "#ae3ec9", "#0ca678", "#f59f00", "#4263eb", "#d6336c", "#74b816", "#667382"];
  const STATE_COLORS = {
    "已销号": "#2fb344", "绿灯": "#2fb344",
    "整改中": "#206bc4", "申请销号": "#4299e1",
    "未开始": "#8a94a6", "待制定措施": "#c8d3e1",
    "退回": "#f76707", "黄灯": "#f59f00",
    "已逾期": "#d63939", "逾期": "#d63939", "红灯": "#d63939",
    "其他": "#adb5bd",
  };
  const PARTIAL = "（本周至今）";
  const PARTIAL_MONTH = "（本月至今）"; // the current month of a month-by-month chart
  const isPartial = (v) => v.endsWith(PARTIAL) || v.endsWith(PARTIAL_MONTH);
  const number = new Intl.NumberFormat("zh-CN", { maximumFractionDigits: 1 });
  const format = (v) => number.format(v);

  function pieOption(rows) {
    return {
      tooltip: { trigger: "item", valueFormatter: format },
      legend: { bottom: 0, type: "scroll" },
      series: [{ type: "pie", radius: ["40%", "68%"], label: { show: false },
        data: rows.map((r, i) => ({ name: r[0], value: r[1],
          itemStyle: { color: STATE_COLORS[r[0]] || palette[i % palette.length] } })) }],
    };
  }

  function axisOption(el, rows) {
    const horizontal = el.dataset.type === "hbar";
    const line = el.dataset.type === "line";
    const labels = rows.map((r) => r[0]);
    const color = el.dataset.color || palette[0];
    const data = rows.map((r) => {
      const partial = isPartial(r[0]);
      const other = r[0] === "其他";
      if (!partial && !other) return r[1];
      return { value: r[1], itemStyle: { color: other ? STATE_COLORS["其他"] : "#adb5bd", opacity: partial ? 0.7 : 1 } };
    });
    const width = el.clientWidth || 360;
    // a horizontal bar's label gets up to 45 % of the width, on one line, cut at its end (the
    // tooltip and the table view carry the whole name); the chart grows with its rows
    const labelWidth = Math.min(Math.round(width * 0.45), 260);
    if (horizontal) el.style.height = `${Math.max(200, rows.length * 30 + 50)}px`;
    const rotate = horizontal || labels.length < 7 ? 0 : 40;
    const short = (v) =>
      v.endsWith(PARTIAL) ? "本周" : v.endsWith(PARTIAL_MONTH) ? v.slice(0, -PARTIAL_MONTH.length) : v;
    const category = { type: "category", data: labels,
      axisLabel: horizontal
        ? { interval: 0, width: labelWidth - 10, overflow: "truncate", ellipsis: "…" }
        : { interval: 0, rotate, width: 80, overflow: "truncate", hideOverlap: true, formatter: short } };
    const value = { type: "value", minInterval: 1, axisLabel: { formatter: format } };
    const series = { type: line ? "line" : "bar", data, itemStyle: { color } };
    const last = rows.length ? rows[rows.length - 1][0] : "";
    if (line && isPartial(last)) {
      // the current week (or month) is not over: shade it so a low count does not read as a
      // collapse
      series.markArea = { silent: true, itemStyle: { color: "rgba(173,181,189,0.18)" },
        label: { show: true, position: "insideTop", color: "#667382", fontSize: 11, formatter: last.endsWith(PARTIAL) ? "本周未完" : "本月未完" },
        data: [[{ xAxis: labels[labels.length - 1] }, { xAxis: labels[labels.length - 1] }]] };
    }
    return {
      tooltip: { trigger: "axis", valueFormatter: format },
      grid: { left: horizontal ? labelWidth : 48, right: 24, top: 24, bottom: horizontal ? 24 : 64 },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? { ...category, inverse: true } : value,
      series: [series],
    };
  }

  document.addEventListener("DOMContentLoaded", () => {
    const source = document.getElementById("chart-data");
    if (!source || !window.echarts) return;
    const all = JSON.parse(source.textContent);
    document.querySelectorAll("[data-chart]").forEach((el) => {
      const rows = all[el.dataset.chart] || [];
      if (!rows.length) return; // the template says 暂无数据 instead
      const chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(el.dataset.type === "pie" ? pieOption(rows) : axisOption(el, rows));
      window.addEventListener("resize", () => chart.resize());
    });
  });
})();
