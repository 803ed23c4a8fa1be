// 隐患列表: the API's hazard list with every filter of API.md, paginated; 导出台账 downloads the ledger
// (GET /hazards/export.xlsx) with the same filters. The filters live in the URL (#/hazards?status=…),
// so a filtered list can be bookmarked, and the back button works.

import { download, request } from "/shared/api.js";
import {
  CATEGORIES,
  LEVELS,
  SOURCES,
  STATUSES,
  addDays,
  date,
  debounce,
  errorBox,
  errorText,
  esc,
  hasRole,
  levelBadge,
  loadingBox,
  number,
  options,
  overdueText,
  statusBadge,
} from "./common.js";

const PAGE_SIZES = [20, 50, 100, 200];

// The page's query (the hash) → the API's filters; `from`/`to` are inclusive park dates there.
export function apiFilters(params) {
  const query = {};
  for (const key of ["q", "status", "level", "category", "source", "grid_id", "enterprise_id"]) {
    if (params.get(key)) query[key] = params.get(key);
  }
  if (params.get("overdue") === "true") query.overdue = "true";
  if (params.get("from")) query.found_from = params.get("from");
  // The API's found_to is exclusive: the day after the last day picked.
  if (params.get("to")) query.found_to = addDays(params.get("to"), 1);
  return query;
}

export async function hazardsView(ctx) {
  const el = ctx.el;
  const canExport = hasRole("office", "leader");
  let params = ctx.params;
  let loadToken = 0;
  let enterprises = new Map(); // name -> id, from the last search

  el.innerHTML = `
    <div class="page-head">
      <div>
        <h1>隐患列表</h1>
        <p class="page-sub">按条件筛选全园区隐患，点击一行查看详情与整改过程。</p>
      </div>
      <div class="page-actions">
        ${canExport ? `<button type="button" class="button button-primary" data-testid="export-ledger">导出台账</button>` : ""}
      </div>
    </div>
    <form class="panel filters" role="search" aria-label="隐患筛选" data-testid="hazard-filters">
      <div class="filter-grid">
        <label class="field field-wide"><span>关键词</span>
          <input type="search" name="q" maxlength="100" placeholder="隐患描述或部位" data-testid="filter-q"></label>
        <label class="field"><span>状态</span>
          <select name="status" data-testid="filter-status">${options([["", "全部"], ...Object.entries(STATUSES)])}</select></label>
        <label class="field"><span>等级</span>
          <select name="level" data-testid="filter-level">${options([["", "全部"], ...Object.entries(LEVELS)])}</select></label>
        <label class="field"><span>类别</span>
          <select name="category" data-testid="filter-category">${options([["", "全部"], ...Object.entries(CATEGORIES)])}</select></label>
        <label class="field"><span>来源</span>
          <select name="source" data-testid="filter-source">${options([["", "全部"], ...Object.entries(SOURCES)])}</select></label>
        <label class="field"><span>网格</span>
          <select name="grid_id" data-testid="filter-grid"><option value="">全部</option></select></label>
        <label class="field field-wide"><span>企业</span>
          <input name="enterprise" list="enterprise-options" autocomplete="off" placeholder="输入企业名称搜索"
                 data-testid="filter-enterprise">
          <datalist id="enterprise-options"></datalist></label>
        <label class="field"><span>发现日期 从</span>
          <input type="date" name="from" data-testid="filter-from"></label>
        <label class="field"><span>至</span>
          <input type="date" name="to" data-testid="filter-to"></label>
        <label class="field"><span>排序</span>
          <select name="sort" data-testid="filter-sort">${options([["newest", "最新发现在前"], ["deadline", "整改期限最早在前"]])}</select></label>
      </div>
      <div class="filter-actions">
        <label class="field field-check"><input type="checkbox" name="overdue" value="true" data-testid="filter-overdue">
          <span>仅看逾期未整改</span></label>
        <span class="filter-hint" data-testid="filter-hint" role="status"></span>
        <button type="reset" class="button" data-testid="filter-reset">重置</button>
        <button type="submit" class="button button-primary" data-testid="filter-submit">查询</button>
      </div>
    </form>
    <section class="panel" aria-labelledby="result-title">
      <div class="panel-head">
        <h2 id="result-title">查询结果 <span class="count-pill" data-testid="hazard-total">…</span></h2>
        <div class="export-status" data-testid="export-status" role="status"></div>
      </div>
      <div data-testid="hazard-table">${loadingBox()}</div>
      <nav class="pager" aria-label="分页" data-testid="pager"></nav>
    </section>`;

  const form = el.querySelector("form");
  const hint = el.querySelector("[data-testid=filter-hint]");

  // Grids for the select; the enterprise name for an enterprise_id in the URL.
  const gridsLoaded = request("grids", { query: { per_page: 200 } })
    .then((body) => {
      form.grid_id.innerHTML = options([["", "全部"], ...body.items.map((g) => [g.id, g.name])], params.get("grid_id"));
    })
    .catch(() => {});

  async function enterpriseName(id) {
    try {
      const item = await request(`enterprises/${encodeURIComponent(id)}`);
      enterprises.set(item.name, item.id);
      return item.name;
    } catch (error) {
      return "";
    }
  }

  async function searchEnterprises(text) {
    const body = await request("enterprises", { query: { q: text, per_page: 20 } });
    enterprises = new Map(body.items.map((e) => [e.name, e.id]));
    el.querySelector("#enterprise-options").innerHTML = body.items
      .map((e) => `<option value="${esc(e.name)}"></option>`)
      .join("");
    return body.items;
  }

  form.enterprise.addEventListener(
    "input",
    debounce(() => {
      const text = form.enterprise.value.trim();
      if (text && !enterprises.has(text)) searchEnterprises(text).catch(() => {});
    }, 250),
  );

  async function fillForm() {
    for (const key of ["q", "status", "level", "category", "source", "from", "to"]) {
      form[key].value = params.get(key) || "";
    }
    form.sort.value = params.get("sort") || "newest";
    form.overdue.checked = params.get("overdue") === "true";
    await gridsLoaded;
    form.grid_id.value = params.get("grid_id") || "";
    form.enterprise.value = params.get("enterprise_id") ? await enterpriseName(params.get("enterprise_id")) : "";
  }

  async function formParams() {
    const next = new URLSearchParams();
    for (const key of ["q", "status", "level", "category", "source", "grid_id", "from", "to"]) {
      const value = (form[key].value || "").trim();
      if (value) next.set(key, value);
    }
    if (form.overdue.checked) next.set("overdue", "true");
    const name = form.enterprise.value.trim();
    if (name) {
      let id = enterprises.get(name);
      if (id === undefined) {
        const found = await searchEnterprises(name);
        if (found.length === 1) id = found[0].id;
        else {
          hint.textContent = found.length ? "请从候选中选择一家企业。" : "未找到该企业。";
          return null;
        }
      }
      next.set("enterprise_id", id);
    }
    if (form.sort.value !== "newest") next.set("sort", form.sort.value);
    if (params.get("per_page")) next.set("per_page", params.get("per_page"));
    return next;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    hint.textContent = "";
    if (form.from.value && form.to.value && form.to.value < form.from.value) {
      hint.textContent = "结束日期不能早于开始日期。";
      return;
    }
    const next = await formParams();
    if (next) go(next);
  });
  form.addEventListener("reset", (event) => {
    event.preventDefault();
    hint.textContent = "";
    go(new URLSearchParams());
  });

  function go(next) {
    const target = `#/hazards${next.toString() ? `?${next}` : ""}`;
    if (location.hash === target) load();
    else location.hash = target;
  }

  async function load() {
    const token = ++loadToken;
    const table = el.querySelector("[data-testid=hazard-table]");
    const total = el.querySelector("[data-testid=hazard-total]");
    table.setAttribute("aria-busy", "true");
    const page = Math.max(1, Number(params.get("page")) || 1);
    const perPage = PAGE_SIZES.includes(Number(params.get("per_page"))) ? Number(params.get("per_page")) : 50;
    try {
      const body = await request("hazards", {
        query: { ...apiFilters(params), sort: params.get("sort") || "newest", page, per_page: perPage },
      });
      if (token !== loadToken || !ctx.alive()) return;
      total.textContent = `共 ${number(body.total)} 项`;
      table.innerHTML = renderTable(body.items);
      renderPager(body);
    } catch (error) {
      if (token !== loadToken || !ctx.alive()) return;
      total.textContent = "";
      table.innerHTML = errorBox(error);
      el.querySelector("[data-testid=pager]").innerHTML = "";
    } finally {
      if (token === loadToken) {
        table.removeAttribute("aria-busy");
        table.dataset.loaded = String(token);
      }
    }
  }

  function renderPager(body) {
    const pager = el.querySelector("[data-testid=pager]");
    const pages = Math.max(1, Math.ceil(body.total / body.per_page));
    const link = (page, label, attrs = "") => {
      const next = new URLSearchParams(params);
      if (page > 1) next.set("page", page);
      else next.delete("page");
      return `<a class="button button-small" href="#/hazards${next.toString() ? `?${next}` : ""}" ${attrs}>${label}</a>`;
    };
    const numbers = [];
    for (let p = Math.max(1, body.page - 3); p <= Math.min(pages, body.page + 3); p += 1) {
      numbers.push(
        p === body.page
          ? `<span class="button button-small is-current" aria-current="page">${p}</span>`
          : link(p, String(p), `aria-label="第 ${p} 页"`),
      );
    }
    pager.innerHTML = `
      <span class="pager-info" data-testid="pager-info">第 ${body.page} / ${pages} 页</span>
      ${body.page > 1 ? link(body.page - 1, "上一页", 'data-testid="pager-prev" rel="prev"') : `<span class="button button-small is-disabled">上一页</span>`}
      ${numbers.join("")}
      ${body.page < pages ? link(body.page + 1, "下一页", 'data-testid="pager-next" rel="next"') : `<span class="button button-small is-disabled">下一页</span>`}
      <label class="pager-size">每页
        <select data-testid="pager-size">${options(PAGE_SIZES.map((n) => [n, `${n} 条`]), body.per_page)}</select></label>`;
    pager.querySelector("select").addEventListener("change", (event) => {
      const next = new URLSearchParams(params);
      next.set("per_page", event.target.value);
      next.delete("page");
      go(next);
    });
  }

  el.querySelector("[data-testid=hazard-table]").addEventListener("click", (event) => {
    const row = event.target.closest("tr[data-hazard-id]");
    if (row && !event.target.closest("a")) location.hash = `#/hazards/${row.dataset.hazardId}`;
  });

  const exportButton = el.querySelector("[data-testid=export-ledger]");
  if (exportButton) {
    exportButton.addEventListener("click", async () => {
      const status = el.querySelector("[data-testid=export-status]");
      exportButton.disabled = true;
      status.textContent = "正在生成台账…";
      try {
        await download("hazards/export.xlsx", apiFilters(params), "隐患台账.xlsx");
        status.textContent = "台账已下载（按当前筛选条件）。";
      } catch (error) {
        status.textContent = `导出失败：${errorText(error)}`;
      } finally {
        exportButton.disabled = false;
      }
    });
  }

  await fillForm();
  await load();
  return {
    update(nextParams) {
      params = nextParams;
      fillForm();
      load();
    },
  };
}

function renderTable(items) {
  if (!items.length) return `<div class="empty" data-testid="hazard-empty">没有符合条件的隐患。</div>`;
  return `
    <table class="table table-clickable">
      <thead>
        <tr>
          <th scope="col" class="num">编号</th><th scope="col">企业</th><th scope="col">隐患描述 / 部位</th>
          <th scope="col">类别</th><th scope="col">等级</th><th scope="col">状态</th>
          <th scope="col">发现日期</th><th scope="col">整改期限</th><th scope="col">逾期</th>
        </tr>
      </thead>
      <tbody>
        ${items
          .map(
            (h) => `
          <tr data-testid="hazard-row" data-hazard-id="${esc(h.id)}" class="${h.overdue ? "is-overdue" : ""}">
            <td class="num muted">${esc(h.id)}</td>
            <td class="cell-enterprise">${esc(h.enterprise_name)}</td>
            <td class="cell-desc"><a href="#/hazards/${esc(h.id)}" data-testid="hazard-link">${esc(h.description)}</a>
              ${h.location ? `<div class="cell-sub">${esc(h.location)}</div>` : ""}</td>
            <td class="nowrap">${esc(h.category_label)}</td>
            <td class="nowrap">${levelBadge(h.level, h.level_label)}</td>
            <td class="nowrap" data-testid="hazard-status">${statusBadge(h.status, h.status_label)}</td>
            <td class="nowrap">${date(h.found_at)}</td>
            <td class="nowrap">${date(h.deadline)}</td>
            <td class="nowrap">${overdueText(h)}</td>
          </tr>`,
          )
          .join("")}
      </tbody>
    </table>`;
}
