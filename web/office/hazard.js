// 隐患详情 (#/hazards/ID): the record, before/after photos (thumbnail → display image in an overlay),
// the latest rectification, the history timeline, the reminder log (office/admin), and for the office
// the verification (验收) and deadline extension (延期) actions.

import { formatDate, request } from "/shared/api.js";
import {
  ACTIONS,
  CHANNELS,
  DELIVERY,
  ROLES,
  STATUSES,
  date,
  errorBox,
  errorText,
  esc,
  hasRole,
  levelBadge,
  loadingBox,
  parkToday,
  isoDay,
  statusBadge,
} from "./common.js";

let gridNames = null;

async function gridName(id) {
  if (!gridNames) {
    gridNames = request("grids", { query: { per_page: 200 } })
      .then((body) => new Map(body.items.map((g) => [g.id, g.name])))
      .catch(() => new Map());
  }
  return (await gridNames).get(id) || `网格 ${id}`;
}

export async function hazardView(ctx) {
  const id = ctx.match[1];
  const el = ctx.el;
  el.innerHTML = loadingBox();
  let hazard;
  try {
    hazard = await request(`hazards/${id}`);
  } catch (error) {
    el.innerHTML = `<p><a href="#/hazards" class="back-link">← 返回隐患列表</a></p>${errorBox(error)}`;
    return null;
  }
  if (!ctx.alive()) return null;
  await render(ctx, hazard);
  return {
    destroy() {
      const dialog = document.querySelector("dialog.lightbox");
      if (dialog) dialog.remove();
    },
  };
}

async function render(ctx, hazard) {
  const el = ctx.el;
  const grid = await gridName(hazard.grid_id);
  if (!ctx.alive()) return;
  const before = hazard.photos.filter((p) => p.stage === "before");
  const after = hazard.photos.filter((p) => p.stage === "after");
  const extended = hazard.original_deadline && hazard.original_deadline !== hazard.deadline;
  el.innerHTML = `
    <p><a href="#/hazards" class="back-link" data-testid="back">${ctx.canGoBack ? "← 返回上一页" : "← 隐患列表"}</a></p>
    <div class="page-head hazard-head" data-testid="hazard-detail" data-hazard-id="${esc(hazard.id)}">
      <div>
        <p class="eyebrow">隐患编号 ${esc(hazard.id)} · ${esc(hazard.enterprise_name)}</p>
        <h1 data-testid="hazard-title">${esc(hazard.description)}</h1>
        <p class="badges">
          ${statusBadge(hazard.status, hazard.status_label)}
          ${levelBadge(hazard.level, hazard.level_label)}
          <span class="badge">${esc(hazard.category_label)}</span>
          <span class="badge">${esc(hazard.source_label)}</span>
          ${hazard.overdue ? `<span class="badge badge-overdue" data-testid="hazard-overdue">逾期 ${esc(hazard.days_overdue)} 天</span>` : ""}
        </p>
      </div>
    </div>

    <div class="detail-grid">
      <div class="detail-main">
        <section class="panel" aria-labelledby="info-title">
          <div class="panel-head"><h2 id="info-title">基本信息</h2></div>
          <dl class="facts">
            ${fact("企业名称", esc(hazard.enterprise_name))}
            ${fact("所属网格", esc(grid))}
            ${fact("隐患部位", esc(hazard.location || "—"))}
            ${fact("隐患类别", esc(hazard.category_label))}
            ${fact("隐患等级", esc(hazard.level_label))}
            ${fact("来源", esc(hazard.source_label))}
            ${fact("发现时间", date(hazard.found_at, true))}
            ${fact("发现人", esc(hazard.found_by ? hazard.found_by.name : "—"))}
            ${fact("整改期限", `${date(hazard.deadline, true)}${extended ? `<span class="cell-sub">原期限 ${date(hazard.original_deadline, true)}</span>` : ""}`)}
            ${fact("整改责任人", esc(hazard.responsible_person || "—"))}
            ${fact("销号时间", date(hazard.closed_at, true))}
            ${fact("接收时间", date(hazard.received_at, true))}
            ${fact("整改措施要求", esc(hazard.measures || "—"), true)}
          </dl>
        </section>

        ${hazard.plan ? planSection(hazard.plan) : ""}

        <section class="panel" aria-labelledby="photos-title" data-testid="photos">
          <div class="panel-head"><h2 id="photos-title">现场照片</h2><span class="muted">点击缩略图查看大图</span></div>
          <div class="photo-columns">
            ${photoGroup("整改前", "before", before)}
            ${photoGroup("整改后", "after", after)}
          </div>
        </section>

        <section class="panel" aria-labelledby="rect-title" data-testid="rectification">
          <div class="panel-head"><h2 id="rect-title">最近一次整改</h2></div>
          ${rectificationBlock(hazard.rectification)}
        </section>
      </div>

      <aside class="detail-side">
        <div data-testid="actions-slot"></div>
        <section class="panel" aria-labelledby="history-title">
          <div class="panel-head"><h2 id="history-title">处理记录</h2></div>
          <ol class="timeline" data-testid="history">
            ${hazard.history.map(historyItem).join("")}
          </ol>
        </section>
        ${hasRole("office", "admin") ? `
        <section class="panel" aria-labelledby="reminders-title" data-testid="reminders">
          <div class="panel-head"><h2 id="reminders-title">督办提醒记录</h2></div>
          <div data-testid="reminder-list">${loadingBox()}</div>
        </section>` : ""}
      </aside>
    </div>`;

  el.querySelectorAll("[data-photo]").forEach((button) => {
    button.addEventListener("click", () => openLightbox(button.dataset.display, button.dataset.original, button.dataset.caption));
  });
  el.querySelector("[data-testid=back]").addEventListener("click", (event) => {
    if (ctx.canGoBack) {
      event.preventDefault();
      history.back();
    }
  });
  if (hasRole("office")) renderActions(ctx, hazard);
  if (hasRole("office", "admin")) loadReminders(ctx, hazard.id);
}

function fact(label, valueHtml, wide = false) {
  return `<div class="fact${wide ? " fact-wide" : ""}"><dt>${esc(label)}</dt><dd>${valueHtml}</dd></div>`;
}

function planSection(plan) {
  return `
    <section class="panel panel-major" aria-labelledby="plan-title">
      <div class="panel-head"><h2 id="plan-title">重大隐患治理方案（五落实）</h2></div>
      <dl class="facts">
        ${fact("责任人", esc(plan.responsible))}
        ${fact("治理资金", `${esc(Number(plan.funds).toLocaleString("zh-CN"))} 元`)}
        ${fact("治理时限", esc(plan.deadline))}
        ${fact("治理措施", esc(plan.measures), true)}
        ${fact("应急预案", esc(plan.contingency), true)}
      </dl>
    </section>`;
}

function photoGroup(title, stage, photos) {
  const items = photos
    .map((p, i) => {
      const caption = `${title}照片 ${i + 1}${p.taken_at ? ` · 拍摄于 ${formatDate(p.taken_at, true)}` : ""}`;
      return `
        <figure class="photo">
          <button type="button" class="thumb" data-photo="${esc(p.id)}" data-testid="photo-thumb-${stage}"
                  data-display="${esc(p.urls.display)}" data-original="${esc(p.urls.original)}" data-caption="${esc(caption)}"
                  aria-label="查看大图：${esc(caption)}">
            <img src="${esc(p.urls.thumbnail)}" alt="${esc(caption)}" decoding="async">
          </button>
          <figcaption>
            ${p.taken_at ? date(p.taken_at, true) : `上传于 ${date(p.created_at, true)}`}
            ${p.stale ? `<span class="badge badge-warn" title="拍摄时间与提交时间相差较大">时间存疑</span>` : ""}
            ${p.gps ? `<span class="muted" title="照片中的拍摄位置（GPS）">位置 ${esc(p.gps.lat.toFixed(5))}, ${esc(p.gps.lon.toFixed(5))}</span>` : ""}
          </figcaption>
        </figure>`;
    })
    .join("");
  return `
    <div class="photo-group" data-testid="photos-${stage}">
      <h3>${esc(title)} <span class="muted">${photos.length} 张</span></h3>
      ${photos.length ? `<div class="photo-grid">${items}</div>` : `<div class="empty empty-small">暂无照片</div>`}
    </div>`;
}

function rectificationBlock(rect) {
  if (!rect) return `<div class="empty empty-small">企业尚未提交整改。</div>`;
  return `
    <dl class="facts">
      ${fact("完成时间", date(rect.completed_at, true))}
      ${fact("提交时间", date(rect.submitted_at, true))}
      ${fact("整改费用", rect.cost === null || rect.cost === undefined ? "—" : `${esc(Number(rect.cost).toLocaleString("zh-CN"))} 元`)}
      ${fact("整改情况", esc(rect.description), true)}
    </dl>`;
}

function historyItem(entry) {
  const change =
    entry.from_status && entry.to_status && entry.from_status !== entry.to_status
      ? `<span class="muted">${esc(STATUSES[entry.from_status] || entry.from_status)} → ${esc(STATUSES[entry.to_status] || entry.to_status)}</span>`
      : "";
  let extra = "";
  if (entry.action === "photo_added" && entry.data) extra = entry.data.stage === "after" ? "（整改后）" : "（整改前）";
  if (entry.action === "deadline_extended" && entry.data && entry.data.deadline) {
    extra = `：新期限 ${esc(formatDate(entry.data.deadline, true))}`;
  }
  const who = entry.by ? `${esc(entry.by.name)}<span class="muted">（${esc(ROLES[entry.by.role] || entry.by.role)}）</span>` : "系统";
  return `
    <li class="timeline-item action-${esc(entry.action)}" data-testid="history-item" data-action="${esc(entry.action)}">
      <div class="timeline-time">${date(entry.at, true)}</div>
      <div class="timeline-body">
        <strong class="timeline-action">${esc(ACTIONS[entry.action] || entry.action)}</strong>${extra} ${change}
        <div class="timeline-who">${who}</div>
        ${entry.comment ? `<div class="timeline-comment">${esc(entry.comment)}</div>` : ""}
      </div>
    </li>`;
}

async function loadReminders(ctx, hazardId) {
  const target = ctx.el.querySelector("[data-testid=reminder-list]");
  try {
    const body = await request("reminders", { query: { hazard_id: hazardId, per_page: 200 } });
    if (!ctx.alive()) return;
    if (!body.items.length) {
      target.innerHTML = `<div class="empty empty-small">暂无督办提醒。</div>`;
      return;
    }
    target.innerHTML = `
      <table class="table table-compact">
        <thead><tr><th scope="col">阶段</th><th scope="col">渠道</th><th scope="col">接收方</th><th scope="col">状态</th><th scope="col">时间</th></tr></thead>
        <tbody>
          ${body.items
            .map(
              (r) => `
            <tr data-testid="reminder-row">
              <td class="nowrap">${esc(r.stage_label || r.stage)}</td>
              <td class="nowrap">${esc(CHANNELS[r.channel] || r.channel)}</td>
              <td class="cell-break">${esc(r.recipient)}</td>
              <td class="nowrap" title="${esc(r.last_error || "")}">${esc(DELIVERY[r.status] || r.status)}${r.attempts > 1 ? `<span class="muted">（${esc(r.attempts)} 次）</span>` : ""}</td>
              <td class="nowrap">${date(r.sent_at || r.created_at, true)}</td>
            </tr>`,
            )
            .join("")}
        </tbody>
      </table>`;
  } catch (error) {
    if (ctx.alive()) target.innerHTML = errorBox(error);
  }
}

// -- office actions ------------------------------------------------------------------------------------

function renderActions(ctx, hazard) {
  const slot = ctx.el.querySelector("[data-testid=actions-slot]");
  if (hazard.status === "closed") return;
  const today = parkToday();
  const minDay = isoDay(today.year, today.month, today.day);
  slot.innerHTML = `
    <section class="panel panel-actions" aria-labelledby="actions-title">
      <div class="panel-head"><h2 id="actions-title">办理</h2></div>
      ${hazard.status === "awaiting_verification" ? `
      <form class="action-form" data-action="verify" data-testid="verify-form">
        <fieldset>
          <legend>整改验收</legend>
          <label class="radio"><input type="radio" name="accepted" value="true" checked> 验收通过，予以销号</label>
          <label class="radio"><input type="radio" name="accepted" value="false"> 驳回，继续整改</label>
          <label class="field"><span>验收意见（驳回时必填）</span><textarea name="comment" rows="2" maxlength="2000"></textarea></label>
          <button type="submit" class="button button-primary">提交验收结果</button>
        </fieldset>
      </form>` : ""}
      <details class="action-details">
      <summary>延长整改期限</summary>
      <form class="action-form" data-action="extend" data-testid="extend-form">
        <fieldset>
          <legend class="visually-hidden">延长整改期限</legend>
          <label class="field"><span>新的整改期限</span><input type="date" name="deadline" min="${esc(minDay)}" required></label>
          <label class="field"><span>延期理由</span><textarea name="reason" rows="2" maxlength="2000" required></textarea></label>
          <button type="submit" class="button">确认延期</button>
        </fieldset>
      </form>
      </details>
      <div class="action-message" role="status" data-testid="action-message"></div>
    </section>`;
  const message = slot.querySelector("[data-testid=action-message]");
  slot.querySelectorAll("form").forEach((form) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      let path;
      let json;
      if (form.dataset.action === "verify") {
        path = `hazards/${hazard.id}/verification`;
        json = { accepted: form.accepted.value === "true", comment: form.comment.value.trim() || null };
      } else {
        path = `hazards/${hazard.id}/extension`;
        json = { deadline: form.deadline.value, reason: form.reason.value.trim() };
      }
      button.disabled = true;
      message.className = "action-message";
      message.textContent = "正在提交…";
      try {
        const updated = await request(path, { method: "POST", json });
        if (!ctx.alive()) return;
        await render(ctx, updated);
        const note = ctx.el.querySelector("[data-testid=action-message]");
        const text = form.dataset.action === "verify" ? (json.accepted ? "已验收销号。" : "已驳回，企业将收到通知。") : "整改期限已延长。";
        if (note) note.textContent = text;
        else ctx.el.querySelector("[data-testid=actions-slot]").innerHTML = `<div class="notice notice-info" role="status">${esc(text)}</div>`;
      } catch (error) {
        message.className = "action-message is-error";
        const fields = error.errors ? Object.values(error.errors).flat().join("；") : "";
        message.textContent = `${errorText(error)}${fields ? `（${fields}）` : ""}`;
        button.disabled = false;
      }
    });
  });
}

// -- photo overlay ---------------------------------------------------------------------------------------

function openLightbox(display, original, caption) {
  let dialog = document.querySelector("dialog.lightbox");
  if (!dialog) {
    dialog = document.createElement("dialog");
    dialog.className = "lightbox";
    dialog.setAttribute("data-testid", "lightbox");
    dialog.setAttribute("aria-label", "照片大图");
    dialog.innerHTML = `
      <div class="lightbox-bar">
        <span class="lightbox-caption"></span>
        <a class="button button-small" target="_blank" rel="noopener" data-testid="lightbox-original">查看原图</a>
        <button type="button" class="button button-small" data-testid="lightbox-close" aria-label="关闭">关闭 ✕</button>
      </div>
      <img class="lightbox-image" data-testid="lightbox-image" alt="">`;
    document.body.appendChild(dialog);
    dialog.querySelector("[data-testid=lightbox-close]").addEventListener("click", () => dialog.close());
    dialog.addEventListener("click", (event) => {
      if (event.target === dialog) dialog.close(); // a click on the backdrop
    });
  }
  const img = dialog.querySelector("img");
  img.src = display;
  img.alt = caption;
  dialog.querySelector(".lightbox-caption").textContent = caption;
  dialog.querySelector("[data-testid=lightbox-original]").href = original;
  dialog.showModal();
}
