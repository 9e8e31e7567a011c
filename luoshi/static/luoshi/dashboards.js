// Dashboard charts: the data comes from a JSON script tag (no inline script, CSP stays strict).
document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("chart-data");
  if (!source || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  const palette = ["#c8102e", "#206bc4", "#2fb344", "#f59f00", "#ae3ec9", "#0ca678", "#667382", "#d63939"];
  document.querySelectorAll("[data-chart]").forEach((el) => {
    const rows = data[el.dataset.chart] || [];
    const labels = rows.map((r) => r[0]);
    const values = rows.map((r) => r[1]);
    let option;
    if (el.dataset.type === "pie") {
      option = {
        color: palette,
        tooltip: { trigger: "item" },
        legend: { bottom: 0, type: "scroll" },
        series: [{ type: "pie", radius: ["40%", "68%"], label: { show: false },
          data: rows.map((r) => ({ name: r[0], value: r[1] })) }],
      };
    } else {
      const horizontal = el.dataset.type === "hbar";
      const rotate = horizontal || labels.length < 6 ? 0 : 35;
      const category = { type: "category", data: labels, axisLabel: { interval: 0, rotate, width: 120, overflow: "truncate" } };
      const value = { type: "value", minInterval: 1 };
      option = {
        color: [el.dataset.color || palette[1]],
        tooltip: { trigger: "axis" },
        grid: { left: horizontal ? 130 : 40, right: 20, top: 20, bottom: horizontal ? 20 : 70 },
        xAxis: horizontal ? value : category,
        yAxis: horizontal ? { ...category, inverse: true } : value,
        series: [{ type: el.dataset.type === "line" ? "line" : "bar", data: values, smooth: true }],
      };
    }
    const chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption(option);
    window.addEventListener("resize", () => chart.resize());
  });
});
