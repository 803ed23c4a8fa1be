// 总览: key figures of the current park quarter and of everything open now, the overdue hazards,
// and the charts (monthly trend over 12 months, this quarter by category and by grid).
// Every number is the API's (GET /stats/summary), shown as it comes.

import { formatDate, formatRate, parkQuarter, request } from "/shared/api.js";
import { COLORS, barChart, describe } from "./charts.js";
import { date, errorBox, esc, hasRole, isoDay, loadingBox, number, parkToday, quarterLabel } from "./common.js";

const OVERDUE_ROWS = 10;

// The statistics are for the office and the leaders (GET /stats/summary); an administrator sees the overdue list.
const STATS_ROLES = ["office", "leader"];

export async function dashboardView(ctx) {
  if (!hasRole(...STATS_ROLES)) return overdueOnly(ctx);
  const quarter = parkQuarter();
  const charts = [];
  ctx.el.innerHTML = `
    <div class="page-head">
      <div>
        <h1>安全生产总览</h1>
        <p class="page-sub">本季度：${esc(quarterLabel(quarter))} <span class="muted" data-testid="as-of"></span></p>
      </div>
      <div class="page-actions">
        <a class="button" href="#/hazards">隐患列表</a>
        <a class="button" href="#/briefs">会议通报</a>
      </div>
    </div>

    <section class="kpi-band" aria-label="关键指标" data-testid="kpis">
      <div class="kpi-group">
        <h2 class="kpi-group-title">本季度（${esc(quarterLabel(quarter))}）</h2>
        <div class="kpi-cards">
          ${kpiCard("kpi-found", "本季度发现", "项")}
          ${kpiCard("kpi-closed", "本季度销号", "项")}
          ${kpiCard("kpi-rectification-rate", "整改率", "")}
          ${kpiCard("kpi-on-time-rate", "按期整改率", "")}
        </div>
      </div>
      <div class="kpi-group kpi-group-now">
        <h2 class="kpi-group-title">当前（全部时段，截至此刻）</h2>
        <div class="kpi-cards">
          ${kpiCard("kpi-open", "当前未整改", "项")}
          ${kpiCard("kpi-overdue", "逾期未整改", "项", "#/hazards?overdue=true&sort=deadline", "alert")}
          ${kpiCard("kpi-major-open", "重大隐患未整改", "项", null, "major")}
        </div>
      </div>
      <div class="kpi-error" data-testid="kpi-error"></div>
    </section>

    <div class="dash-grid">
      <section class="panel panel-chart" aria-labelledby="trend-title">
        <div class="panel-head">
          <h2 id="trend-title">近 12 个月隐患发现与销号趋势</h2>
        </div>
        <div class="chart-box chart-box-tall">
          <canvas data-testid="chart-trend" role="img" aria-label="近 12 个月隐患发现与销号趋势"></canvas>
        </div>
        <div class="chart-msg" data-chart-msg="trend"></div>
      </section>

      <section class="panel panel-overdue" aria-labelledby="overdue-title" data-testid="overdue-panel">
        <div class="panel-head">
          <h2 id="overdue-title">逾期隐患 <span class="count-pill" data-testid="overdue-count">…</span></h2>
          <a href="#/hazards?overdue=true&sort=deadline" class="panel-link">查看全部 →</a>
        </div>
        <div data-testid="overdue-list">${loadingBox()}</div>
      </section>

      <section class="panel panel-chart" aria-labelledby="category-title">
        <div class="panel-head">
          <h2 id="category-title">本季度隐患类别分布</h2>
        </div>
        <div class="chart-box chart-box-tall">
          <canvas data-testid="chart-category" role="img" aria-label="本季度隐患类别分布"></canvas>
        </div>
        <div class="chart-msg" data-chart-msg="category"></div>
      </section>

      <section class="panel panel-chart" aria-labelledby="grid-title">
        <div class="panel-head">
          <h2 id="grid-title">本季度各网格隐患情况</h2>
        </div>
        <div class="chart-box chart-box-tall">
          <canvas data-testid="chart-grid" role="img" aria-label="本季度各网格隐患情况"></canvas>
        </div>
        <div class="chart-msg" data-chart-msg="grid"></div>
      </section>
    </div>`;

  const el = ctx.el;
  const chartMessage = (name, text) => {
    el.querySelector(`[data-chart-msg=${name}]`).textContent = text;
  };
  const addChart = (name, canvasId, config) => {
    if (!ctx.alive()) return;
    const canvas = el.querySelector(`[data-testid=${canvasId}]`);
    try {
      charts.push(barChart(canvas, config));
      canvas.setAttribute("aria-label", describe(canvas.getAttribute("aria-label"), config.labels, config.series));
    } catch (error) {
      chartMessage(name, error.message);
    }
  };

  const quarterFigures = request("stats/summary", { query: { quarter, group_by: "category" } });
  const tasks = [
    // Key figures of this quarter (the category grouping also feeds its chart).
    quarterFigures.then((body) => {
      if (!ctx.alive()) return;
      const t = body.totals;
      setKpi(el, "kpi-found", t.found, number(t.found));
      setKpi(el, "kpi-closed", t.closed, number(t.closed));
      setKpi(el, "kpi-rectification-rate", t.rectification_rate, formatRate(t.rectification_rate),
        `已销号 ${number(t.rectified)} / 发现 ${number(t.found)}`);
      setKpi(el, "kpi-on-time-rate", t.on_time_rate, formatRate(t.on_time_rate),
        `按期销号 ${number(t.rectified_on_time)} / 发现 ${number(t.found)}`);
      el.querySelector("[data-testid=as-of]").textContent = `· 数据截至 ${formatDate(body.as_of, true)}`;
      const groups = body.groups.filter((g) => g.found > 0).sort((a, b) => b.found - a.found);
      if (!groups.length) chartMessage("category", "本季度尚未发现隐患。");
      addChart("category", "chart-category", {
        labels: groups.map((g) => g.label),
        series: [
          { label: "发现", data: groups.map((g) => g.found), color: COLORS.found },
          { label: "未整改", data: groups.map((g) => g.open), color: COLORS.open },
        ],
        horizontal: true,
      });
    }),
    // Everything open now (no period).
    request("stats/summary").then((body) => {
      if (!ctx.alive()) return;
      const t = body.totals;
      setKpi(el, "kpi-open", t.open, number(t.open));
      setKpi(el, "kpi-overdue", t.overdue, number(t.overdue));
      setKpi(el, "kpi-major-open", t.major_open, number(t.major_open), `累计重大隐患 ${number(t.major_found)} 项`);
    }),
    request("stats/summary", { query: { quarter, group_by: "grid" } }).then((body) => {
      if (!ctx.alive()) return;
      const groups = body.groups;
      if (!groups.some((g) => g.found || g.closed || g.overdue)) chartMessage("grid", "本季度各网格暂无隐患记录。");
      addChart("grid", "chart-grid", {
        labels: groups.map((g) => g.label),
        series: [
          { label: "发现", data: groups.map((g) => g.found), color: COLORS.found },
          { label: "销号", data: groups.map((g) => g.closed), color: COLORS.closed },
          { label: "逾期未整改", data: groups.map((g) => g.overdue), color: COLORS.overdue },
        ],
      });
    }),
    request("stats/summary", { query: { ...lastTwelveMonths(), group_by: "month" } }).then((body) => {
      if (!ctx.alive()) return;
      const groups = body.groups;
      addChart("trend", "chart-trend", {
        labels: groups.map((g, i) => monthLabel(g.key, i === 0)),
        series: [
          { label: "发现", data: groups.map((g) => g.found), color: COLORS.found },
          { label: "销号", data: groups.map((g) => g.closed), color: COLORS.closed },
        ],
      });
    }),
    request("hazards", { query: { overdue: "true", sort: "deadline", per_page: OVERDUE_ROWS } }).then((body) => {
      if (ctx.alive()) renderOverdue(el, body);
    }),
  ];
  // One failing call shows its message where its figures would be; the rest of the page still works.
  const [quarterResult, nowResult, gridResult, trendResult, overdueResult] = await Promise.allSettled(tasks);
  if (ctx.alive()) {
    const kpiFailure = [quarterResult, nowResult].find((r) => r.status === "rejected");
    if (kpiFailure) {
      el.querySelector("[data-testid=kpi-error]").innerHTML = errorBox(kpiFailure.reason);
      el.querySelectorAll(".kpi:not(.is-loaded) .kpi-value").forEach((value) => {
        value.textContent = "—";
      });
    }
    if (quarterResult.status === "rejected") chartMessage("category", "图表数据加载失败。");
    if (gridResult.status === "rejected") chartMessage("grid", "图表数据加载失败。");
    if (trendResult.status === "rejected") chartMessage("trend", "图表数据加载失败。");
    if (overdueResult.status === "rejected") {
      el.querySelector("[data-testid=overdue-list]").innerHTML = errorBox(overdueResult.reason);
    }
  }
  return {
    destroy() {
      charts.forEach((chart) => chart.destroy());
    },
  };
}

async function overdueOnly(ctx) {
  ctx.el.innerHTML = `
    <div class="page-head">
      <div>
        <h1>安全生产总览</h1>
        <p class="page-sub">统计数据和会议通报向安监办、管委会领导开放；此处列出逾期未整改的隐患。</p>
      </div>
    </div>
    <section class="panel" aria-labelledby="overdue-title" data-testid="overdue-panel">
      <div class="panel-head">
        <h2 id="overdue-title">逾期隐患 <span class="count-pill" data-testid="overdue-count">…</span></h2>
        <a href="#/hazards?overdue=true&sort=deadline" class="panel-link">查看全部 →</a>
      </div>
      <div data-testid="overdue-list">${loadingBox()}</div>
    </section>`;
  try {
    const body = await request("hazards", { query: { overdue: "true", sort: "deadline", per_page: 20 } });
    if (ctx.alive()) renderOverdue(ctx.el, body);
  } catch (error) {
    if (ctx.alive()) ctx.el.querySelector("[data-testid=overdue-list]").innerHTML = errorBox(error);
  }
  return null;
}

function kpiCard(testid, label, unit, href = null, tone = "") {
  const tag = href ? "a" : "div";
  const link = href ? ` href="${esc(href)}"` : "";
  return `
    <${tag} class="kpi ${tone ? `kpi-${tone}` : ""}" data-testid="${testid}"${link}>
      <span class="kpi-label">${esc(label)}</span>
      <span class="kpi-figure"><span class="kpi-value" data-value="">…</span>${unit ? `<span class="kpi-unit">${esc(unit)}</span>` : ""}</span>
      <span class="kpi-note"></span>
    </${tag}>`;
}

function setKpi(el, testid, raw, text, note = "") {
  const card = el.querySelector(`[data-testid=${testid}]`);
  const value = card.querySelector(".kpi-value");
  value.textContent = text;
  value.dataset.value = raw === null || raw === undefined ? "" : String(raw);
  card.querySelector(".kpi-note").textContent = note;
  card.classList.add("is-loaded");
  if (card.classList.contains("kpi-alert") || card.classList.contains("kpi-major")) {
    card.classList.toggle("is-zero", !raw);
  }
}

// "2026-01" → "1月" with "2026年" under it for the first month and every January, "3月" otherwise.
function monthLabel(key, first) {
  const [year, month] = String(key).split("-").map(Number);
  return first || month === 1 ? [`${month}月`, `${year}年`] : `${month}月`;
}

// The 12 park months up to and including this one: from the 1st of the month 11 months ago to today.
function lastTwelveMonths() {
  const today = parkToday();
  let year = today.year;
  let month = today.month - 11;
  if (month < 1) {
    month += 12;
    year -= 1;
  }
  return { from: isoDay(year, month, 1), to: isoDay(today.year, today.month, today.day) };
}

function renderOverdue(el, body) {
  el.querySelector("[data-testid=overdue-count]").textContent = `${body.total} 项`;
  const target = el.querySelector("[data-testid=overdue-list]");
  if (!body.items.length) {
    target.innerHTML = `<div class="empty">目前没有逾期未整改的隐患。</div>`;
    return;
  }
  target.innerHTML = `
    <table class="table table-compact table-clickable">
      <thead><tr><th scope="col">企业</th><th scope="col">隐患描述</th><th scope="col">整改期限</th><th scope="col" class="num">逾期</th></tr></thead>
      <tbody>
        ${body.items
          .map(
            (h) => `
          <tr data-testid="overdue-row" data-hazard-id="${esc(h.id)}" data-href="#/hazards/${esc(h.id)}">
            <td class="cell-enterprise">${esc(h.enterprise_name)}</td>
            <td class="cell-desc"><a href="#/hazards/${esc(h.id)}">${esc(h.description)}</a>
              ${h.level === "major" ? `<span class="badge level-major">重大</span>` : ""}</td>
            <td class="nowrap">${date(h.deadline)}</td>
            <td class="num nowrap"><span class="overdue-days">${esc(h.days_overdue)} 天</span></td>
          </tr>`,
          )
          .join("")}
      </tbody>
    </table>
    ${body.total > body.items.length ? `<p class="table-more"><a href="#/hazards?overdue=true&sort=deadline">另有 ${body.total - body.items.length} 项，查看全部 →</a></p>` : ""}`;
  target.querySelectorAll("tr[data-href]").forEach((row) => {
    row.addEventListener("click", (event) => {
      if (event.target.closest("a")) return;
      location.hash = row.dataset.href;
    });
  });
}
