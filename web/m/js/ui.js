// Screen helpers shared by the views: the view container, API calls that keep the offline banner honest,
// read-through caches for lists (so they show offline), the photo picker with previews, and icons.

import { request, session } from "/shared/api.js";
import { isNetworkError, noteNetwork } from "./outbox.js";
import { kv } from "./store.js";
import { escapeHtml } from "./util.js";

export const view = () => document.getElementById("view");

export function user() {
  return session()?.user || null;
}

export function go(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = hash;
}

// Each screen claims the view when it starts; gone() tells it, after an await, that the user has moved on
// (a slow answer must not draw over the screen the user went to).
let claims = 0;
export function claimScreen() {
  const mine = ++claims;
  return () => mine !== claims;
}

// Render a screen; `actions` is the bar of big buttons at the bottom (thumb reach).
export function render(html, actions = "") {
  const main = view();
  main.innerHTML = html;
  const bar = document.getElementById("actions");
  bar.innerHTML = actions;
  bar.hidden = !actions;
  document.body.classList.toggle("has-actions", Boolean(actions));
  window.scrollTo(0, 0);
  return main;
}

export function setTitle(text) {
  document.getElementById("title").textContent = text;
  document.title = text === "园区安全巡查" ? text : `${text} · 园区安全巡查`;
}

export async function api(path, options = {}) {
  try {
    const result = await request(path, options);
    noteNetwork(true);
    return result;
  } catch (err) {
    noteNetwork(!isNetworkError(err));
    throw err;
  }
}

// Fetch and remember; offline (or on a server error) answer with the last copy. → {data, fresh, savedAt}
export async function cached(key, fetcher) {
  const scoped = `${user()?.username}:${key}`;
  if (navigator.onLine) {
    try {
      const data = await fetcher();
      await kv.set(scoped, { data, savedAt: new Date().toISOString() });
      return { data, fresh: true, savedAt: null };
    } catch (err) {
      if (!isNetworkError(err) && !(err.status >= 500)) throw err;
    }
  }
  const copy = await kv.get(scoped);
  if (!copy) return { data: null, fresh: false, savedAt: null };
  return { data: copy.data, fresh: false, savedAt: copy.savedAt };
}

export function staleNote(result) {
  if (result.fresh || !result.savedAt) return "";
  const at = new Date(result.savedAt);
  return `<p class="note" data-testid="stale-note">离线数据，更新于 ${at.getMonth() + 1}月${at.getDate()}日 ${String(at.getHours()).padStart(2, "0")}:${String(at.getMinutes()).padStart(2, "0")}</p>`;
}

// A camera/file input with previews; returns {files(), clear()}. Several selections add up.
export function photoPicker(container, { testid = "photo-input", label = "拍照 / 选择照片" } = {}) {
  const picked = [];
  container.innerHTML = `
    <div class="previews" data-testid="photo-previews"></div>
    <label class="photo-add">
      <input type="file" accept="image/*" capture="environment" multiple class="visually-hidden" data-testid="${testid}">
      ${icon("camera")}<span>${escapeHtml(label)}</span>
    </label>`;
  const input = container.querySelector("input");
  const previews = container.querySelector(".previews");
  const draw = () => {
    previews.innerHTML = picked
      .map(
        (p, i) => `<figure class="preview">
          <img src="${p.url}" alt="照片 ${i + 1}" data-testid="photo-preview">
          <figcaption>${escapeHtml(p.file.name || "")}</figcaption>
          <button type="button" class="remove" data-remove="${i}" aria-label="去掉这张照片">×</button>
        </figure>`,
      )
      .join("");
    for (const img of previews.querySelectorAll("img")) {
      img.addEventListener("error", () => img.closest("figure").classList.add("noimg"), { once: true });
    }
  };
  input.addEventListener("change", () => {
    for (const file of input.files) picked.push({ file, url: URL.createObjectURL(file) });
    input.value = "";
    draw();
  });
  previews.addEventListener("click", (event) => {
    const button = event.target.closest("[data-remove]");
    if (!button) return;
    const [gone] = picked.splice(Number(button.dataset.remove), 1);
    URL.revokeObjectURL(gone.url);
    draw();
  });
  return {
    files: () => picked.map((p) => p.file),
    clear: () => {
      for (const p of picked) URL.revokeObjectURL(p.url);
      picked.length = 0;
      draw();
    },
  };
}

export function photoEntries(files, stage, makeUuid) {
  return files.map((file, i) => ({
    uuid: makeUuid(),
    blob: file,
    name: file.name || `photo-${i + 1}.jpg`,
    type: file.type,
    size: file.size,
    stage,
    done: false,
  }));
}

export function fieldError(form, message) {
  const box = form.querySelector("[data-role=form-error]");
  if (box) {
    box.textContent = message;
    box.hidden = !message;
    if (message) box.scrollIntoView({ block: "center" });
  }
}

const PATHS = {
  camera: '<path d="M4 8h3l2-3h6l2 3h3v11H4z"/><circle cx="12" cy="13" r="3.5"/>',
  clipboard: '<rect x="5" y="4" width="14" height="17" rx="2"/><path d="M9 4h6v3H9zM8 12h8M8 16h6"/>',
  warning: '<path d="M12 3 2 20h20z"/><path d="M12 10v4M12 17v.5"/>',
  upload: '<path d="M12 16V4M7 9l5-5 5 5"/><path d="M4 16v4h16v-4"/>',
  bell: '<path d="M6 16V11a6 6 0 0 1 12 0v5l2 2H4z"/><path d="M10 20a2 2 0 0 0 4 0"/>',
  user: '<circle cx="12" cy="8" r="4"/><path d="M4 21c1-4 4-6 8-6s7 2 8 6"/>',
  search: '<circle cx="11" cy="11" r="6"/><path d="m16 16 4 4"/>',
  pin: '<path d="M12 21s-7-6.5-7-12a7 7 0 0 1 14 0c0 5.5-7 12-7 12z"/><circle cx="12" cy="9" r="2.5"/>',
  check: '<path d="m5 12 5 5 9-10"/>',
  plus: '<path d="M12 5v14M5 12h14"/>',
  cloudoff: '<path d="M3 3l18 18"/><path d="M7 18h10a4 4 0 0 0 1-7.9A6 6 0 0 0 8 7.3M5.5 9.5A4.5 4.5 0 0 0 7 18"/>',
  back: '<path d="m15 5-7 7 7 7"/>',
};

export function icon(name) {
  return `<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">${PATHS[name] || ""}</svg>`;
}
