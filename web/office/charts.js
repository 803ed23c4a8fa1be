// Charts with the vendored Chart.js 4 (UMD build at /vendor/chart.umd.js, the global `Chart`).
// Chinese in a canvas needs a CJK font the system has: Noto Sans CJK on Linux, PingFang on macOS, YaHei on Windows.

export const FONT_FAMILY = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif';

export const COLORS = {
  found: "#2f5d9e",
  closed: "#2e8b57",
  open: "#d98c1f",
  overdue: "#c0392b",
  grid: "#e5e9f0",
  text: "#3b4656",
};

export function setupCharts() {
  if (!window.Chart) return;
  const defaults = window.Chart.defaults;
  defaults.font.family = FONT_FAMILY;
  defaults.font.size = 13;
  defaults.color = COLORS.text;
  defaults.animation.duration = 300;
  defaults.plugins.legend.labels.boxWidth = 14;
  defaults.plugins.tooltip.titleFont = { family: FONT_FAMILY, weight: "bold" };
  defaults.plugins.tooltip.bodyFont = { family: FONT_FAMILY };
}

// A bar chart (grouped, optionally horizontal) with integer ticks; `series` is [{label, data, color}].
export function barChart(canvas, { labels, series, horizontal = false, legend = true }) {
  if (!window.Chart) throw new Error("图表组件未加载");
  const valueAxis = {
    beginAtZero: true,
    ticks: { precision: 0 },
    grid: { color: COLORS.grid },
  };
  const categoryAxis = { grid: { display: false }, ticks: { autoSkip: false, maxRotation: 0 } };
  return new window.Chart(canvas, {
    type: "bar",
    data: {
      labels,
      datasets: series.map((s) => ({
        label: s.label,
        data: s.data,
        backgroundColor: s.color,
        borderRadius: 3,
        maxBarThickness: horizontal ? 22 : 34,
      })),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      indexAxis: horizontal ? "y" : "x",
      interaction: { mode: "index", intersect: false },
      scales: horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis },
      plugins: {
        legend: { display: legend, position: "top", align: "end" },
        tooltip: { callbacks: { label: (item) => ` ${item.dataset.label}：${item.formattedValue} 项` } },
      },
    },
  });
}

// A text summary of a chart for screen readers (set as the canvas's aria-label).
export function describe(title, labels, series) {
  const parts = labels.map((label, i) => `${label}：${series.map((s) => `${s.label}${s.data[i]}`).join("，")}`);
  return `${title}。${parts.join("；")}`;
}
