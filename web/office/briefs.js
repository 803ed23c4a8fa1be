// 会议通报 (#/briefs): the quarterly safety meeting briefs with their status and the .docx / PDF links
// (signed by the API, so plain links download them). The office may ask for a quarter's brief; while
// any brief is being made the list refreshes itself.

import { parkQuarter, request } from "/shared/api.js";
import { BRIEF_STATUSES, date, errorBox, errorText, esc, hasRole, loadingBox, options, previousQuarter, quarterLabel } from "./common.js";

const REFRESH_MS = 4000;

export async function briefsView(ctx) {
  const el = ctx.el;
  const canRequest = hasRole("office");
  const lastQuarter = previousQuarter(parkQuarter());
  const quarters = Array.from({ length: 8 }, (_, i) => previousQuarter(parkQuarter(), i + 1));
  let timer = null;
  let stopped = false;

  el.innerHTML = `
    <div class="page-head">
      <div>
        <h1>季度安全生产会议通报</h1>
        <p class="page-sub">每季度结束后系统自动生成 Word 与 PDF 两种格式；Word 版可在会前修改。</p>
      </div>
      <div class="page-actions">
        <button type="button" class="button" data-testid="briefs-refresh">刷新</button>
      </div>
    </div>
    ${canRequest ? `
    <section class="panel" aria-labelledby="request-title">
      <div class="panel-head"><h2 id="request-title">生成通报</h2></div>
      <form class="inline-form" data-testid="brief-form">
        <button type="button" class="button button-primary" data-testid="brief-request-last" data-quarter="${esc(lastQuarter)}">
          生成上季度通报（${esc(quarterLabel(lastQuarter))}）</button>
        <span class="muted">或选择其他季度：</span>
        <label class="visually-hidden" for="brief-quarter">季度</label>
        <select id="brief-quarter" name="quarter" data-testid="brief-quarter">
          ${options(quarters.map((q) => [q, quarterLabel(q)]), lastQuarter)}</select>
        <button type="submit" class="button" data-testid="brief-request">生成</button>
        <span class="form-message" role="status" data-testid="brief-message"></span>
      </form>
    </section>` : ""}
    <section class="panel" aria-labelledby="briefs-title">
      <div class="panel-head"><h2 id="briefs-title">通报列表</h2></div>
      <div data-testid="brief-list">${loadingBox()}</div>
    </section>`;

  async function load() {
    clearTimeout(timer);
    const target = el.querySelector("[data-testid=brief-list]");
    try {
      const body = await request("briefs", { query: { per_page: 50 } });
      if (stopped || !ctx.alive()) return;
      target.innerHTML = renderList(body.items);
      if (body.items.some((b) => b.status === "pending")) timer = setTimeout(load, REFRESH_MS);
    } catch (error) {
      if (!stopped && ctx.alive()) target.innerHTML = errorBox(error);
    }
  }

  async function ask(quarter, button) {
    const message = el.querySelector("[data-testid=brief-message]");
    button.disabled = true;
    message.className = "form-message";
    message.textContent = "正在提交…";
    try {
      await request("briefs", { method: "POST", json: { quarter } });
      message.textContent = `已提交：${quarterLabel(quarter)}通报正在生成，完成后可在下方下载。`;
      await load();
    } catch (error) {
      message.className = "form-message is-error";
      message.textContent = errorText(error);
    } finally {
      button.disabled = false;
    }
  }

  el.querySelector("[data-testid=briefs-refresh]").addEventListener("click", load);
  if (canRequest) {
    const form = el.querySelector("[data-testid=brief-form]");
    const last = form.querySelector("[data-testid=brief-request-last]");
    last.addEventListener("click", () => ask(last.dataset.quarter, last));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      ask(form.quarter.value, form.querySelector("[data-testid=brief-request]"));
    });
  }

  await load();
  return {
    destroy() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

function renderList(items) {
  if (!items.length) return `<div class="empty">尚无通报。</div>`;
  return `
    <table class="table">
      <thead>
        <tr><th scope="col">通报</th><th scope="col">状态</th><th scope="col">数据截至</th>
            <th scope="col">申请时间</th><th scope="col">下载</th></tr>
      </thead>
      <tbody>
        ${items
          .map(
            (b) => `
          <tr data-testid="brief-row" data-brief-id="${esc(b.id)}" data-status="${esc(b.status)}">
            <td><strong>${esc(b.label)}</strong></td>
            <td class="nowrap" data-testid="brief-status">
              <span class="badge brief-${esc(b.status)}">${esc(BRIEF_STATUSES[b.status] || b.status)}</span>
              ${b.status === "pending" ? `<span class="spinner" aria-hidden="true"></span>` : ""}
              ${b.status === "failed" && b.error ? `<div class="cell-sub is-error">${esc(b.error)}</div>` : ""}
            </td>
            <td class="nowrap">${date(b.as_of, true)}</td>
            <td class="nowrap">${date(b.created_at, true)}</td>
            <td class="nowrap">
              ${b.status === "ready" && b.files ? `
                <a class="button button-small" href="${esc(b.files.docx)}" download data-testid="brief-docx">Word（.docx）</a>
                <a class="button button-small" href="${esc(b.files.pdf)}" download data-testid="brief-pdf">PDF</a>` : `<span class="muted">—</span>`}
            </td>
          </tr>`,
          )
          .join("")}
      </tbody>
    </table>`;
}
