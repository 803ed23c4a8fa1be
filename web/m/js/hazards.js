// 我的隐患: the hazards in the user's scope (an inspector: the grids'; an enterprise: its own), one hazard
// with its photos and history, and the two actions of the closed loop done from a phone: the enterprise's
// rectification (after photos, then 提交整改) and the inspector's verification (验收 / 驳回).

import * as outbox from "./outbox.js";
import { STATUSES } from "./codes.js";
import {
  api, cached, claimScreen, fieldError, go, icon, photoEntries, photoPicker, render, setTitle, staleNote, user,
} from "./ui.js";
import { escapeHtml, formatTime, isoNow, shorten, toast, uuid } from "./util.js";

const PLAN_LABELS = [["responsible", "责任人"], ["measures", "治理措施"], ["funds", "治理资金（元）"], ["deadline", "治理期限"], ["contingency", "应急预案"]];
const ACTIONS = {
  registered: "登记", rectification_submitted: "提交整改", rejected: "驳回", closed: "验收销号",
  deadline_extended: "延期", photo_added: "上传照片",
};

function badges(h) {
  return `<span class="badge status-${h.status}">${escapeHtml(h.status_label)}</span>
    ${h.level === "major" ? '<span class="badge major">重大</span>' : ""}
    ${h.overdue ? `<span class="badge overdue">逾期 ${h.days_overdue} 天</span>` : ""}
    ${h.source === "self_check" ? '<span class="badge self">自查</span>' : ""}`;
}

export async function hazardList(params) {
  const gone = claimScreen();
  setTitle(user().role === "enterprise" ? "我的隐患" : "隐患");
  const status = params.get("status") || "registered";
  const tabs = STATUSES.map(
    ([code, text]) => `<a href="#/hazards?status=${code}" class="seg ${code === status ? "on" : ""}" data-testid="status-${code}">${text}</a>`,
  ).join("");
  render(
    `<nav class="segments">${tabs}</nav>
    <div id="waiting"></div>
    <div id="stale"></div>
    <ul class="list" id="hazard-list" data-testid="hazard-list"><li class="muted">正在加载…</li></ul>`,
  );
  const list = document.getElementById("hazard-list");
  const staleBox = document.getElementById("stale");
  const waitingBox = document.getElementById("waiting");
  const waiting = outbox.waiting(await outbox.list()).filter((e) => e.kind === "hazard");
  if (waiting.length) {
    waitingBox.innerHTML =
      `<a class="card notice" href="#/outbox">${icon("upload")} 还有 ${waiting.length} 条隐患保存在手机上，尚未上传</a>`;
  }
  let result;
  try {
    const query = { status, per_page: 100, sort: status === "closed" ? "newest" : "deadline" };
    result = await cached(`hazards:${status}`, () => api("hazards", { query }));
  } catch (err) {
    list.innerHTML = `<li class="error">${escapeHtml(err.message)}</li>`;
    return;
  }
  if (gone()) return;
  staleBox.innerHTML = staleNote(result);
  const items = result.data?.items || [];
  list.innerHTML = items.length
    ? items
        .map(
          (h) => `<li><a class="item hazard" href="#/hazard/${h.id}" data-testid="hazard-item" data-id="${h.id}">
            <span class="name">${escapeHtml(shorten(h.description, 48))}</span>
            <span class="sub">${escapeHtml(h.enterprise_name || "")}${h.location ? ` · ${escapeHtml(h.location)}` : ""}</span>
            <span class="meta">${badges(h)}<span class="deadline">期限 ${formatTime(h.deadline)}</span></span>
          </a></li>`,
        )
        .join("")
    : `<li class="muted">${result.data ? "没有此状态的隐患" : "离线，且没有缓存的数据"}</li>`;
}

function photoGrid(photos, stage) {
  const chosen = photos.filter((p) => p.stage === stage);
  if (!chosen.length) return '<p class="muted">无</p>';
  return `<div class="thumbs">${chosen
    .map((p) => `<button type="button" class="thumb" data-display="${escapeHtml(p.urls.display)}"><img src="${escapeHtml(p.urls.thumbnail)}" alt="${stage === "after" ? "整改后" : "整改前"}照片" loading="lazy" data-testid="photo-${stage}"></button>`)
    .join("")}</div>`;
}

export async function hazardDetail(id) {
  const gone = claimScreen();
  setTitle("隐患详情");
  render('<p class="muted">正在加载…</p>');
  // What is still queued for this hazard is read BEFORE the hazard: an entry that completes meanwhile is then
  // either seen as queued (and the screen follows the outbox) or already in the server's answer.
  const queued = outbox.waiting(await outbox.list()).filter((e) => String(e.hazard_id) === String(id));
  let result;
  try {
    result = await cached(`hazard:${id}`, () => api(`hazards/${id}`));
  } catch (err) {
    if (!gone()) render(`<p class="error">${escapeHtml(err.message)}</p><p><a href="#/hazards">返回隐患列表</a></p>`);
    return;
  }
  if (gone()) return;
  const h = result.data;
  if (!h) {
    render('<p class="muted">离线，且没有缓存这条隐患。</p><p><a href="#/hazards">返回隐患列表</a></p>');
    return;
  }
  const me = user();
  const rect = h.rectification;
  const plan = h.plan
    ? `<section class="card"><h3>“五落实”</h3><dl>${PLAN_LABELS.map(([k, text]) => `<dt>${text}</dt><dd>${escapeHtml(h.plan[k])}</dd>`).join("")}</dl></section>`
    : "";
  const history = (h.history || [])
    .filter((e) => e.action !== "photo_added")
    .map((e) => `<li><b>${escapeHtml(ACTIONS[e.action] || e.action)}</b> · ${escapeHtml(e.by?.name || "")} · ${formatTime(e.at)}
        ${e.comment ? `<div class="comment">${escapeHtml(e.comment)}</div>` : ""}</li>`)
    .join("");
  const html = `${staleNote(result)}
    <section class="card">
      <p class="meta">${badges(h)}</p>
      <h2 data-testid="hazard-title">${escapeHtml(h.description)}</h2>
      <dl>
        <dt>企业</dt><dd>${escapeHtml(h.enterprise_name)}</dd>
        <dt>部位</dt><dd>${escapeHtml(h.location || "—")}</dd>
        <dt>类别</dt><dd>${escapeHtml(h.category_label)} · ${escapeHtml(h.level_label)}</dd>
        <dt>发现</dt><dd>${formatTime(h.found_at)} · ${escapeHtml(h.found_by?.name || "")}</dd>
        <dt>整改期限</dt><dd data-testid="hazard-deadline-view">${formatTime(h.deadline)}</dd>
        ${h.responsible_person ? `<dt>责任人</dt><dd>${escapeHtml(h.responsible_person)}</dd>` : ""}
        ${h.measures ? `<dt>整改要求</dt><dd>${escapeHtml(h.measures)}</dd>` : ""}
      </dl>
    </section>
    ${plan}
    <section class="card"><h3>整改前照片</h3>${photoGrid(h.photos || [], "before")}</section>
    ${rect || (h.photos || []).some((p) => p.stage === "after")
      ? `<section class="card"><h3>整改情况</h3>
          ${rect ? `<p>${escapeHtml(rect.description)}</p><p class="muted">完成于 ${formatTime(rect.completed_at)}${rect.cost != null ? ` · 费用 ${rect.cost} 元` : ""}</p>` : ""}
          ${photoGrid(h.photos || [], "after")}</section>`
      : ""}
    <div id="action"></div>
    <section class="card"><h3>处理记录</h3><ul class="timeline">${history}</ul></section>`;

  if (queued.length) {
    render(
      `${html.replace('<div id="action"></div>', `<p class="card notice" data-testid="hazard-queued">${icon("upload")} 已提交的${queued[0].kind === "rectification" ? "整改" : "验收"}保存在手机上，等待上传（<a href="#/outbox">查看</a>）</p>`)}`,
    );
  } else if (me.role === "enterprise" && h.status === "registered") {
    rectificationForm(html, h);
  } else if (me.role === "inspector" && h.status === "awaiting_verification") {
    verificationForm(html, h);
  } else {
    render(html);
  }
}

// A photo full screen (the ≈1280 px display image), closed by a tap.
function openPhoto(event) {
  const thumb = event.target.closest("[data-display]");
  if (!thumb) return;
  const box = document.createElement("div");
  box.className = "lightbox";
  box.setAttribute("role", "dialog");
  box.setAttribute("aria-label", "照片，点击关闭");
  box.innerHTML = `<img src="${escapeHtml(thumb.dataset.display)}" alt="照片">`;
  box.addEventListener("click", () => box.remove());
  document.body.appendChild(box);
  window.addEventListener("hashchange", () => box.remove(), { once: true });
}
document.addEventListener("click", openPhoto);

function rectificationForm(html, h) {
  render(
    html.replace(
      '<div id="action"></div>',
      `<form class="card" id="rect-form" novalidate data-testid="rectification-form">
        <h3>提交整改</h3>
        <p class="muted">上传整改后的照片（至少 1 张），说明整改情况。</p>
        <div id="after-photos"></div>
        <label>整改情况说明 <em>必填</em><textarea name="description" rows="3" maxlength="5000" data-testid="rect-description" placeholder="例如：已清理配电箱前杂物，划定警戒线"></textarea></label>
        <label>整改费用（元，可选）<input name="cost" type="number" inputmode="decimal" min="0" step="0.01" data-testid="rect-cost"></label>
        <p class="error" data-role="form-error" hidden></p>
      </form>`,
    ),
    `<button class="primary" id="submit-rect" data-testid="submit-rectification">${icon("upload")} 提交整改</button>`,
  );
  const form = document.getElementById("rect-form");
  const photos = photoPicker(document.getElementById("after-photos"), { testid: "after-photo-input", label: "拍摄整改后照片" });
  let saving = false;
  document.getElementById("submit-rect").onclick = async () => {
    if (saving) return;
    const files = photos.files();
    const description = form.description.value.trim();
    if (!files.length) return fieldError(form, "请至少上传 1 张整改后的照片");
    if (!description) return fieldError(form, "请填写整改情况说明");
    const body = { description, completed_at: isoNow() };
    if (form.cost.value.trim()) {
      body.cost = Number(form.cost.value);
      if (!(body.cost >= 0)) return fieldError(form, "整改费用须为不小于 0 的数字");
    }
    saving = true;
    await outbox.add({
      kind: "rectification",
      uuid: uuid(),
      hazard_id: h.id,
      body,
      photos: photoEntries(files, "after", uuid),
      title: `整改 · ${shorten(h.description, 18)}`,
      detail: `${files.length} 张整改后照片`,
    });
    photos.clear();
    toast(navigator.onLine ? "已提交，正在上传" : "已保存在手机上，联网后自动上传");
    go(`#/hazard/${h.id}`);
  };
}

function verificationForm(html, h) {
  render(
    html.replace(
      '<div id="action"></div>',
      `<form class="card" id="verify-form" novalidate data-testid="verification-form">
        <h3>验收整改</h3>
        <label>验收意见（驳回时必填）<textarea name="comment" rows="3" maxlength="2000" data-testid="verify-comment"></textarea></label>
        <p class="error" data-role="form-error" hidden></p>
      </form>`,
    ),
    `<button class="danger" id="reject" data-testid="verify-reject">驳回</button>
     <button class="primary" id="accept" data-testid="verify-accept">${icon("check")} 验收通过</button>`,
  );
  const form = document.getElementById("verify-form");
  let saving = false;
  const decide = async (accepted) => {
    if (saving) return;
    const comment = form.comment.value.trim();
    if (!accepted && !comment) return fieldError(form, "驳回时请填写原因");
    saving = true;
    const body = { accepted };
    if (comment) body.comment = comment;
    await outbox.add({
      kind: "verification",
      uuid: uuid(),
      hazard_id: h.id,
      body,
      title: `${accepted ? "验收通过" : "驳回整改"} · ${shorten(h.description, 18)}`,
      detail: comment || "",
    });
    toast(accepted ? "验收通过，正在上传" : "已驳回，正在上传");
    go(`#/hazard/${h.id}`);
  };
  document.getElementById("accept").onclick = () => decide(true);
  document.getElementById("reject").onclick = () => decide(false);
}
