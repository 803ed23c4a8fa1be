// The inspector's field flow: pick the enterprise (search; nearest first) → start an inspection (kind) →
// register hazards with photos → end it. Everything is saved on the phone first (outbox), then uploaded.

import * as outbox from "./outbox.js";
import { CAMPAIGNS, CATEGORIES, KINDS, LEVELS, label } from "./codes.js";
import { kv } from "./store.js";
import {
  api, cached, claimScreen, fieldError, go, icon, photoEntries, photoPicker, render, setTitle, staleNote, user,
} from "./ui.js";
import { distanceKm, escapeHtml, formatDistance, formatTime, isoNow, locate, shorten, toast, today, uuid } from "./util.js";

let lastPosition = null; // {lat, lon} of the phone, when it shared it

// ---- the inspection in progress (kept on the phone, per user) ----

const activeKey = () => `active:${user()?.username}`;

export async function activeInspection() {
  return (await kv.get(activeKey())) || null;
}

async function saveActive(value) {
  if (value) await kv.set(activeKey(), value);
  else await kv.delete(activeKey());
}

// ---- enterprises (cached in IndexedDB: the picker works offline) ----

async function fetchEnterprises() {
  const items = [];
  for (let page = 1; page < 50; page += 1) {
    const body = await api("enterprises", { query: { per_page: 200, page } });
    items.push(...body.items);
    if (items.length >= body.total || body.items.length === 0) break;
  }
  return items.map(({ id, name, address, lat, lon, grid_id, status_label, risk_level_label }) => ({
    id, name, address, lat, lon, grid_id, status_label, risk_level_label,
  }));
}

export async function enterprises() {
  return cached("enterprises", fetchEnterprises);
}

// ---- screens ----

export async function inspectHome() {
  const gone = claimScreen();
  const active = await activeInspection();
  if (gone()) return;
  if (!active) return picker();
  const entries = await outbox.list();
  if (gone()) return;
  setTitle("检查中");
  const rows = [];
  for (const h of active.hazards) {
    const entry = entries.find((e) => e.uuid === h.uuid);
    const state = !entry
      ? '<span class="state ok">已上传</span>'
      : entry.state === "failed"
        ? '<span class="state failed">上传失败</span>'
        : '<span class="state wait">待上传</span>';
    rows.push(`<li class="row" data-testid="inspection-hazard">
      <div><b>${escapeHtml(shorten(h.description, 40))}</b>
      <small>${escapeHtml(label(CATEGORIES, h.category))} · ${escapeHtml(label(LEVELS, h.level))} · ${h.photos} 张照片</small></div>
      ${state}</li>`);
  }
  render(
    `<section class="card inspection" data-testid="active-inspection">
      <p class="eyebrow">${icon("clipboard")} 正在检查</p>
      <h2>${escapeHtml(active.enterprise.name)}</h2>
      <p class="muted">${escapeHtml(label(KINDS, active.kind))}${active.campaign ? ` · ${escapeHtml(label(CAMPAIGNS, active.campaign))}` : ""}
        · 开始于 ${formatTime(active.started_at)}</p>
    </section>
    <section class="card">
      <h3>本次登记的隐患 <span class="count" data-testid="inspection-hazard-count">${active.hazards.length}</span></h3>
      ${rows.length ? `<ul class="rows">${rows.join("")}</ul>` : '<p class="muted">尚未登记隐患。没有发现隐患时，直接点“结束检查”。</p>'}
    </section>`,
    `<button class="secondary" data-testid="end-inspection" id="end">结束检查</button>
     <button class="primary" data-testid="new-hazard" id="new-hazard">${icon("camera")} 登记隐患</button>`,
  );
  document.getElementById("new-hazard").onclick = () => go("#/hazard-new");
  document.getElementById("end").onclick = () => go("#/end");
}

async function picker() {
  const gone = claimScreen();
  setTitle("选择企业");
  render(
    `<div class="search sticky">
      ${icon("search")}
      <input type="search" id="q" placeholder="搜索企业名称" autocomplete="off" data-testid="enterprise-search" aria-label="搜索企业名称">
    </div>
    <p class="note" id="where" data-testid="location-note">正在获取位置…</p>
    <div id="stale"></div>
    <ul class="list" id="enterprise-list" data-testid="enterprise-list"><li class="muted">正在加载…</li></ul>`,
  );
  const list = document.getElementById("enterprise-list");
  const q = document.getElementById("q");
  const where = document.getElementById("where");
  let items = [];
  const draw = () => {
    const needle = q.value.trim().toLowerCase();
    const shown = items.filter((e) => !needle || `${e.name} ${e.address || ""}`.toLowerCase().includes(needle));
    if (lastPosition) {
      for (const e of shown) {
        e.km = e.lat != null && e.lon != null ? distanceKm(lastPosition.lat, lastPosition.lon, e.lat, e.lon) : null;
      }
      shown.sort((a, b) => (a.km ?? Infinity) - (b.km ?? Infinity));
    }
    list.innerHTML = shown.length
      ? shown
          .map(
            (e) => `<li><button class="item" data-id="${e.id}" data-testid="enterprise-item">
              <span class="name">${escapeHtml(e.name)}</span>
              <span class="sub">${escapeHtml(e.address || "")}</span>
              ${e.km != null && lastPosition ? `<span class="distance" data-testid="enterprise-distance">${icon("pin")}${formatDistance(e.km)}</span>` : ""}
            </button></li>`,
          )
          .join("")
      : `<li class="muted">${items.length ? "没有匹配的企业" : "没有可检查的企业（离线且尚未缓存企业名单）"}</li>`;
  };
  q.addEventListener("input", draw);
  list.addEventListener("click", (event) => {
    const button = event.target.closest("[data-id]");
    if (button) go(`#/start/${button.dataset.id}`);
  });
  const located = locate(5000).then((pos) => {
    if (pos) lastPosition = pos;
    where.textContent = lastPosition ? "按距离排序（最近的在前）" : "未获取到位置，按名称排列";
  });
  const staleBox = document.getElementById("stale");
  try {
    const result = await enterprises();
    if (gone()) return;
    items = result.data || [];
    staleBox.innerHTML = staleNote(result);
  } catch (err) {
    list.innerHTML = `<li class="error">${escapeHtml(err.message)}</li>`;
    return;
  }
  draw();
  located.then(draw);
}

export async function startScreen(id) {
  const gone = claimScreen();
  setTitle("开始检查");
  const result = await enterprises();
  if (gone()) return;
  const enterprise = (result.data || []).find((e) => String(e.id) === String(id));
  if (!enterprise) {
    render('<p class="error">找不到该企业。</p>');
    return;
  }
  render(
    `<section class="card">
      <p class="eyebrow">${icon("pin")} 检查企业</p>
      <h2 data-testid="start-enterprise">${escapeHtml(enterprise.name)}</h2>
      <p class="muted">${escapeHtml(enterprise.address || "")}</p>
    </section>
    <form id="start-form" class="card">
      <fieldset><legend>检查类型</legend>
        <div class="chips two">${KINDS.map(
          ([code, text], i) => `<label class="chip"><input type="radio" name="kind" value="${code}" ${i === 0 ? "checked" : ""} data-testid="kind-${code}"><span>${text}</span></label>`,
        ).join("")}</div>
      </fieldset>
      <label id="campaign-box" hidden>专项类别
        <select name="campaign" data-testid="campaign"><option value="">（不指定）</option>
          ${CAMPAIGNS.map(([code, text]) => `<option value="${code}">${text}</option>`).join("")}</select>
      </label>
    </form>`,
    `<button class="secondary narrow" id="back">${icon("back")} 换企业</button>
     <button class="primary" id="start" data-testid="start-inspection">开始检查</button>`,
  );
  const form = document.getElementById("start-form");
  form.addEventListener("change", () => {
    document.getElementById("campaign-box").hidden = form.kind.value !== "special";
  });
  document.getElementById("back").onclick = () => go("#/inspect");
  document.getElementById("start").onclick = async () => {
    if (await activeInspection()) {
      toast("已有一项检查在进行，请先结束它", "error");
      go("#/inspect");
      return;
    }
    const body = {
      client_uuid: uuid(),
      enterprise_id: enterprise.id,
      kind: form.kind.value,
      started_at: isoNow(),
    };
    if (form.kind.value === "special" && form.campaign.value) body.campaign = form.campaign.value;
    if (lastPosition) {
      body.lat = Number(lastPosition.lat.toFixed(6));
      body.lon = Number(lastPosition.lon.toFixed(6));
    }
    // Held until its first hazard is saved or it ends: a no-hazard inspection is sent with its finished_at.
    const entry = await outbox.add({
      kind: "inspection",
      uuid: body.client_uuid,
      state: "held",
      body,
      title: `检查 · ${enterprise.name}`,
      detail: label(KINDS, body.kind),
    });
    await saveActive({
      uuid: body.client_uuid,
      seq: entry.seq,
      enterprise: { id: enterprise.id, name: enterprise.name },
      kind: body.kind,
      campaign: body.campaign || null,
      started_at: body.started_at,
      hazards: [],
    });
    toast("检查已开始");
    go("#/inspect");
  };
}

export async function endScreen() {
  const gone = claimScreen();
  const active = await activeInspection();
  if (gone()) return;
  if (!active) return go("#/inspect");
  const entry = await outbox.findByUuid(active.uuid);
  if (gone()) return;
  setTitle("结束检查");
  const held = entry && entry.state === "held";
  const n = active.hazards.length;
  render(
    `<section class="card">
      <h2>${escapeHtml(active.enterprise.name)}</h2>
      <p class="muted">${escapeHtml(label(KINDS, active.kind))} · 开始于 ${formatTime(active.started_at)}</p>
      <p class="outcome ${n ? "found" : "none"}" data-testid="inspection-outcome">${n ? `发现隐患 ${n} 条` : `${icon("check")} 未发现隐患`}</p>
      ${held ? `<label>检查备注（可选）<textarea id="notes" rows="3" maxlength="5000" placeholder="例如：检查了消防通道、配电间"></textarea></label>` : ""}
    </section>`,
    `<button class="secondary narrow" id="cancel">返回</button>
     <button class="primary" id="confirm" data-testid="confirm-end">确认结束</button>`,
  );
  document.getElementById("cancel").onclick = () => go("#/inspect");
  document.getElementById("confirm").onclick = async () => {
    const notes = document.getElementById("notes")?.value.trim();
    const finishedAt = isoNow();
    if (entry) {
      try {
        await outbox.update(entry.seq, (e) => {
          if (e.state !== "held") return false; // already on its way: its body must not change
          e.body.finished_at = finishedAt;
          if (notes) e.body.notes = notes;
          e.state = "pending";
          e.detail = `${label(KINDS, e.body.kind)} · ${n ? `发现隐患 ${n} 条` : "未发现隐患"}`;
          return true;
        });
      } catch (err) {
        toast(err.message, "error");
        return;
      }
    }
    await saveActive(null);
    outbox.sync({ force: true });
    toast(n ? "检查已结束" : "检查已结束：未发现隐患");
    go("#/inspect");
  };
}

// ---- the hazard form (inspectors during an inspection; enterprises for 自查上报) ----

export async function hazardForm() {
  const me = user();
  const selfCheck = me.role === "enterprise";
  const gone = claimScreen();
  const active = selfCheck ? null : await activeInspection();
  if (gone()) return;
  if (!selfCheck && !active) {
    toast("请先选择企业并开始检查", "error");
    return go("#/inspect");
  }
  setTitle(selfCheck ? "自查上报" : "登记隐患");
  render(
    `<form id="hazard-form" novalidate>
      ${active ? `<p class="eyebrow context">${icon("clipboard")} ${escapeHtml(active.enterprise.name)}</p>` : ""}
      <section class="card">
        <h3>现场照片</h3>
        <div id="photos"></div>
      </section>
      <section class="card">
        <label>隐患描述 <em>必填</em>
          <textarea name="description" rows="3" maxlength="5000" required data-testid="hazard-description" placeholder="例如：配电箱前堆放纸箱等可燃物"></textarea></label>
        <label>隐患部位
          <input name="location" maxlength="300" data-testid="hazard-location" placeholder="例如：二号车间东侧配电间"></label>
        <fieldset><legend>隐患类别 <em>必填</em></legend>
          <div class="chips three">${CATEGORIES.map(
            ([code, text]) => `<label class="chip"><input type="radio" name="category" value="${code}" data-testid="category-${code}"><span>${text}</span></label>`,
          ).join("")}</div>
        </fieldset>
        <fieldset><legend>隐患等级</legend>
          <div class="chips two">${LEVELS.map(
            ([code, text], i) => `<label class="chip ${code}"><input type="radio" name="level" value="${code}" ${i === 0 ? "checked" : ""} data-testid="level-${code}"><span>${text}</span></label>`,
          ).join("")}</div>
        </fieldset>
      </section>
      <section class="card" id="plan" hidden data-testid="major-plan">
        <h3>重大隐患“五落实” <em>均必填</em></h3>
        <label>责任人<input name="plan_responsible" maxlength="100" data-testid="plan-responsible"></label>
        <label>治理措施<textarea name="plan_measures" rows="2" maxlength="5000" data-testid="plan-measures"></textarea></label>
        <label>治理资金（元）<input name="plan_funds" type="number" inputmode="decimal" min="0" step="0.01" data-testid="plan-funds"></label>
        <label>治理期限<input name="plan_deadline" type="date" min="${today()}" data-testid="plan-deadline"></label>
        <label>应急预案<textarea name="plan_contingency" rows="2" maxlength="5000" data-testid="plan-contingency"></textarea></label>
      </section>
      <details class="card more">
        <summary>整改要求（可选）</summary>
        <label>整改期限<input name="deadline" type="date" min="${today()}" data-testid="hazard-deadline">
          <small>不填则按规定：一般隐患 7 天，重大隐患 30 天</small></label>
        <label>整改责任人<input name="responsible_person" maxlength="100" data-testid="hazard-responsible"></label>
        <label>整改措施要求<textarea name="measures" rows="2" maxlength="5000" data-testid="hazard-measures"></textarea></label>
      </details>
      <p class="error" data-role="form-error" data-testid="form-error" hidden></p>
    </form>`,
    `<button class="secondary narrow" id="cancel">取消</button>
     <button class="primary" id="save" data-testid="save-hazard">${icon("check")} 保存</button>`,
  );
  const form = document.getElementById("hazard-form");
  const photos = photoPicker(document.getElementById("photos"));
  form.addEventListener("change", () => {
    document.getElementById("plan").hidden = form.level.value !== "major";
  });
  document.getElementById("cancel").onclick = () => {
    photos.clear();
    go(selfCheck ? "#/hazards" : "#/inspect");
  };
  let saving = false;
  document.getElementById("save").onclick = async () => {
    if (saving) return;
    const value = (name) => form.elements[name].value.trim();
    const body = {
      client_uuid: uuid(),
      enterprise_id: selfCheck ? me.enterprise_id : active.enterprise.id,
      description: value("description"),
      category: form.category.value,
      level: form.level.value,
      found_at: isoNow(),
    };
    if (!body.description) return fieldError(form, "请填写隐患描述");
    if (!body.category) return fieldError(form, "请选择隐患类别");
    for (const name of ["location", "responsible_person", "measures", "deadline"]) {
      if (value(name)) body[name] = value(name);
    }
    if (body.level === "major") {
      const plan = {
        responsible: value("plan_responsible"),
        measures: value("plan_measures"),
        funds: value("plan_funds"),
        deadline: value("plan_deadline"),
        contingency: value("plan_contingency"),
      };
      if (Object.values(plan).some((v) => !v)) return fieldError(form, "重大隐患须填写“五落实”的全部五项");
      plan.funds = Number(plan.funds);
      if (!(plan.funds >= 0)) return fieldError(form, "治理资金须为不小于 0 的数字");
      body.plan = plan;
    }
    if (body.deadline && body.deadline < today()) return fieldError(form, "整改期限不能早于今天");
    fieldError(form, "");
    saving = true;
    const files = photos.files();
    const entry = {
      kind: "hazard",
      uuid: body.client_uuid,
      body,
      needs: active ? active.uuid : null,
      photos: photoEntries(files, "before", uuid),
      title: `${selfCheck ? "自查隐患" : "隐患"} · ${shorten(body.description, 18)}`,
      detail: `${active ? `${active.enterprise.name} · ` : ""}${label(CATEGORIES, body.category)} · ${label(LEVELS, body.level)}`,
    };
    if (active) {
      // The inspection goes first: release it (it keeps its body; only finished_at is lost once sent).
      const parent = await outbox.findByUuid(active.uuid);
      if (parent && parent.state === "held") await outbox.update(parent.seq, (e) => { e.state = "pending"; });
      active.hazards.push({
        uuid: body.client_uuid,
        description: body.description,
        category: body.category,
        level: body.level,
        photos: files.length,
      });
      await saveActive(active);
    }
    await outbox.add(entry);
    photos.clear();
    toast(navigator.onLine ? "已保存，正在上传" : "已保存在手机上，联网后自动上传");
    go(selfCheck ? "#/outbox" : "#/inspect");
  };
}
