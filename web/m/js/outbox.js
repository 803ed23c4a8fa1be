// The outbox: every create is first saved on the phone (IndexedDB, photos as Blobs), then sent in order
// whenever the network allows. One entry is one thing the user did (an inspection; a hazard with its photos;
// a rectification with its after photos; a verification); its steps carry client_uuids made on the phone
// and re-sent unchanged on every retry, so an answer lost on the way never creates a second record.
//
//   inspection ─▶ its hazards (inspection_id from the server's answer) ─▶ each hazard's photos
//   after photos ─▶ rectification
//
// Entry states: "held" (an inspection in progress without hazards: sent when a hazard is saved or it ends,
// so that a no-hazard inspection carries its finished_at), "pending", "failed" (a 4xx other than 408/429:
// shown with the API's message, not retried until the user asks). Network errors, time-outs and 5xx keep
// the entry pending and back off. One pass at a time (single flight, and a Web Lock across tabs).

import { ApiError, request, session } from "/shared/api.js";
import { idStore, outboxStore } from "./store.js";

export const events = new EventTarget();

const JSON_TIMEOUT_MS = 30000;
const PHOTO_MIN_TIMEOUT_MS = 60000;
const SLOW_NETWORK_BYTES_PER_MS = 20; // 20 KB/s: a weak mobile network still gets time to send a big photo
const TICK_MS = 20000;
const BACKOFF_MAX_MS = 120000;

let running = null; // the promise of the pass loop in progress
let again = false; // a new reason to sync arrived during a pass
let retryAt = 0; // back-off: no automatic pass before this time
let failures = 0; // consecutive transient failures
let retryTimer = null;
let active = null; // {seq, step} being sent, for the screen
let netDown = false; // the last request failed for want of a network

const FIELD_LABELS = {
  found_at: "发现时间", started_at: "开始时间", finished_at: "结束时间", completed_at: "完成时间",
  deadline: "整改期限", description: "描述", location: "隐患部位", category: "类别", level: "等级",
  inspection_id: "检查", enterprise_id: "企业", file: "照片", stage: "照片阶段", cost: "费用", comment: "意见",
  "plan.responsible": "责任人", "plan.measures": "治理措施", "plan.funds": "治理资金", "plan.deadline": "治理期限",
  "plan.contingency": "应急预案", plan: "五落实", client_uuid: "编号", kind: "检查类型",
};

function emit() {
  events.dispatchEvent(new Event("change"));
}

function me() {
  return session()?.user?.username || null;
}

export function status() {
  return { running: Boolean(running), active, netDown, online: navigator.onLine && !netDown, retryAt, failures };
}

export function noteNetwork(ok) {
  if (netDown === !ok) return;
  netDown = !ok;
  emit();
}

export function isNetworkError(err) {
  return !(err instanceof ApiError) && ["TypeError", "AbortError", "SyntaxError", "TimeoutError"].includes(err?.name);
}

function isTransient(err) {
  if (isNetworkError(err)) return true;
  return err instanceof ApiError && (err.status >= 500 || err.status === 408 || err.status === 429);
}

export function describeError(err) {
  if (isNetworkError(err)) return "网络不可用";
  if (!(err instanceof ApiError)) return String(err?.message || err);
  const details = Object.entries(err.errors || {})
    .map(([field, msgs]) => `${FIELD_LABELS[field] || field}：${[].concat(msgs).join("；")}`)
    .join("；");
  return details ? `${err.message}（${details}）` : err.message;
}

async function call(path, options, ms = JSON_TIMEOUT_MS) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), ms);
  try {
    const result = await request(path, { ...options, signal: ctl.signal });
    noteNetwork(true);
    return result;
  } catch (err) {
    if (isNetworkError(err)) noteNetwork(false);
    else noteNetwork(true);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

// ---- reading and changing entries (the screen's side) ----

export async function list() {
  const user = me();
  return (await outboxStore.all()).filter((e) => e.user === user).sort((a, b) => a.seq - b.seq);
}

export async function othersCount() {
  const user = me();
  return (await outboxStore.all()).filter((e) => e.user !== user && e.state !== "held").length;
}

// "Waiting" = not yet on the server and not an inspection still in progress.
export function waiting(entries) {
  return entries.filter((e) => e.state !== "held");
}

export async function add(entry) {
  const stored = {
    state: "pending",
    attempts: 0,
    error: null,
    photos: [],
    ...entry,
    user: me(),
    saved_at: new Date().toISOString(),
  };
  stored.seq = await outboxStore.add(stored);
  emit();
  sync({ force: true });
  return stored;
}

// Change an entry that is not being sent right now; fn(entry) returns false to leave it as it is.
export async function update(seq, fn) {
  if (active && active.seq === seq) throw new Error("正在上传，请稍候");
  const entry = await outboxStore.get(seq);
  if (!entry) return null;
  if (fn(entry) === false) return entry;
  await outboxStore.put(entry);
  emit();
  return entry;
}

export async function findByUuid(uuid) {
  return (await outboxStore.all()).find((e) => e.uuid === uuid) || null;
}

export async function serverId(uuid) {
  return (await idStore.get(uuid))?.id ?? null;
}

export async function retry(seq) {
  await update(seq, (e) => {
    e.state = "pending";
    e.error = null;
    e.attempts = 0;
  });
  sync({ force: true });
}

export async function remove(seq) {
  if (active && active.seq === seq) throw new Error("正在上传，请稍候");
  await outboxStore.delete(seq);
  emit();
}

// ---- the sync loop ----

export function sync({ force = false } = {}) {
  if (force) {
    retryAt = 0;
    failures = 0;
  }
  if (running) {
    again = true;
    return running;
  }
  running = (async () => {
    try {
      do {
        again = false;
        await exclusive(pass);
      } while (again);
    } catch (err) {
      console.warn("outbox sync stopped", err);
    } finally {
      running = null;
      emit();
    }
  })();
  emit();
  return running;
}

// Only one pass in all the app's tabs at a time.
function exclusive(fn) {
  if (navigator.locks && navigator.locks.request) return navigator.locks.request("park-m-outbox", () => fn());
  return fn();
}

function scheduleRetry() {
  clearTimeout(retryTimer);
  const wait = Math.max(0, retryAt - Date.now()) + 50;
  retryTimer = setTimeout(() => sync(), wait);
}

function backoff() {
  const base = Math.min(BACKOFF_MAX_MS, 2000 * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

async function pass() {
  if (!navigator.onLine) {
    noteNetwork(false);
    return;
  }
  if (Date.now() < retryAt) {
    scheduleRetry();
    return;
  }
  const user = me();
  if (!user) return; // logged out: entries wait for their user
  const seqs = (await outboxStore.all()).filter((e) => e.user === user).map((e) => e.seq).sort((a, b) => a - b);
  for (const seq of seqs) {
    const entry = await outboxStore.get(seq); // fresh: the user may have deleted or retried it meanwhile
    if (!entry || entry.state !== "pending" || entry.user !== user) continue;
    const ready = await readiness(entry);
    if (ready === "wait") continue;
    if (ready !== "ready") {
      await markFailed(entry, ready);
      continue;
    }
    try {
      active = { seq, step: null };
      emit();
      await process(entry);
      failures = 0;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return; // logged out by api.js; resume after log-in
      if (isTransient(err)) {
        entry.attempts = (entry.attempts || 0) + 1;
        entry.error = describeError(err);
        entry.last_try = new Date().toISOString();
        await outboxStore.put(entry);
        failures += 1;
        retryAt = Date.now() + backoff();
        scheduleRetry();
        return; // keep the order: nothing later goes before this one
      }
      await markFailed(entry, describeError(err), err);
    } finally {
      active = null;
      emit();
    }
  }
}

async function markFailed(entry, message, err) {
  entry.state = "failed";
  entry.error = entry.failedStep ? `${entry.failedStep}：${message}` : message;
  entry.status_code = err instanceof ApiError ? err.status : null;
  delete entry.failedStep;
  await outboxStore.put(entry);
}

// "ready", "wait" (its inspection is not on the server yet), or the reason it can never be sent.
async function readiness(entry) {
  if (!entry.needs) return "ready";
  if (await serverId(entry.needs)) return "ready";
  const parent = await findByUuid(entry.needs);
  if (!parent) return "所属检查记录已被删除，无法上传";
  return "wait";
}

function step(entry, label) {
  active = { seq: entry.seq, step: label };
  entry.failedStep = label;
  emit();
}

async function process(entry) {
  if (entry.kind === "inspection") {
    step(entry, "检查记录");
    const reply = await call("inspections", { method: "POST", json: entry.body });
    await idStore.put(entry.uuid, "inspection", reply.id);
  } else if (entry.kind === "hazard") {
    if (!entry.server_id) {
      step(entry, "隐患记录");
      const body = { ...entry.body };
      if (entry.needs) body.inspection_id = await serverId(entry.needs);
      const reply = await call("hazards", { method: "POST", json: body });
      entry.server_id = reply.id;
      await idStore.put(entry.uuid, "hazard", reply.id);
      await outboxStore.put(entry);
    }
    await sendPhotos(entry, entry.server_id);
  } else if (entry.kind === "rectification") {
    await sendPhotos(entry, entry.hazard_id);
    step(entry, "整改");
    try {
      await call(`hazards/${entry.hazard_id}/rectification`, { method: "POST", json: entry.body });
    } catch (err) {
      // No client_uuid on lifecycle POSTs: a 409 after a lost answer means "already done" if it is ours.
      if (!(err instanceof ApiError && err.status === 409 && (await alreadyRectified(entry)))) throw err;
    }
  } else if (entry.kind === "verification") {
    step(entry, "验收");
    try {
      await call(`hazards/${entry.hazard_id}/verification`, { method: "POST", json: entry.body });
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 409 && (await alreadyVerified(entry)))) throw err;
    }
  } else {
    throw new Error(`unknown outbox entry ${entry.kind}`);
  }
  await outboxStore.delete(entry.seq);
}

async function sendPhotos(entry, hazardId) {
  const photos = entry.photos || [];
  for (let i = 0; i < photos.length; i += 1) {
    const photo = photos[i];
    if (photo.done) continue;
    step(entry, `照片 ${i + 1}/${photos.length}`);
    const form = new FormData();
    form.append("stage", photo.stage);
    form.append("client_uuid", photo.uuid);
    form.append("file", photo.blob, photo.name || `photo-${i + 1}.jpg`);
    const timeout = Math.max(PHOTO_MIN_TIMEOUT_MS, (photo.size || 0) / SLOW_NETWORK_BYTES_PER_MS);
    const reply = await call(`hazards/${hazardId}/photos`, { method: "POST", form }, timeout);
    photo.done = true;
    photo.id = reply.id;
    photo.blob = null; // on the server now: free the phone's storage
    await outboxStore.put(entry);
    emit();
  }
}

async function alreadyRectified(entry) {
  const hazard = await call(`hazards/${entry.hazard_id}`, {});
  const rect = hazard.rectification;
  return (
    ["awaiting_verification", "closed"].includes(hazard.status) &&
    rect && rect.description === entry.body.description
  );
}

async function alreadyVerified(entry) {
  const hazard = await call(`hazards/${entry.hazard_id}`, {});
  const last = (hazard.history || []).filter((h) => ["closed", "rejected"].includes(h.action)).pop();
  const userId = session()?.user?.id;
  return Boolean(
    last && last.by && last.by.id === userId &&
    last.action === (entry.body.accepted ? "closed" : "rejected") &&
    (last.comment || "") === (entry.body.comment || ""),
  );
}

// After a failed request, find out when the server can be reached again (clears the offline banner).
async function probe() {
  try {
    await call("health", {}, 10000);
    sync({ force: true });
  } catch (err) {
    /* still unreachable */
  }
}

// ---- triggers: on load, when the network comes back, on a timer, when the app comes to the front ----

let started = false;
export function start() {
  if (started) return;
  started = true;
  window.addEventListener("online", () => {
    noteNetwork(true);
    sync({ force: true });
  });
  window.addEventListener("offline", () => noteNetwork(false));
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") sync({ force: true });
  });
  setInterval(() => {
    if (netDown && navigator.onLine) probe();
    sync();
  }, TICK_MS);
  if (!navigator.onLine) netDown = true;
  sync({ force: true });
}
