// IndexedDB of the mobile app: the outbox (with photos as Blobs), the map client_uuid → server id, and a
// key-value cache (enterprise list, hazard lists, the inspection in progress) so the app works offline.

const DB_NAME = "park-m";
const DB_VERSION = 1;
let opening = null;

function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = () => {
        const db = req.result;
        if (!db.objectStoreNames.contains("outbox")) db.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
        if (!db.objectStoreNames.contains("ids")) db.createObjectStore("ids", { keyPath: "uuid" });
        if (!db.objectStoreNames.contains("kv")) db.createObjectStore("kv", { keyPath: "key" });
      };
      req.onsuccess = () => {
        const db = req.result;
        db.onversionchange = () => { db.close(); opening = null; };
        resolve(db);
      };
      req.onerror = () => { opening = null; reject(req.error); };
    });
  }
  return opening;
}

// Run fn(store) in one transaction; resolves with the last request's result once the transaction commits.
async function tx(name, mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const t = db.transaction(name, mode);
    let result;
    const req = fn(t.objectStore(name));
    if (req) req.onsuccess = () => { result = req.result; };
    t.oncomplete = () => resolve(result);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error || new Error("IndexedDB transaction aborted"));
  });
}

export const outboxStore = {
  all: () => tx("outbox", "readonly", (s) => s.getAll()),
  get: (seq) => tx("outbox", "readonly", (s) => s.get(seq)),
  add: (entry) => tx("outbox", "readwrite", (s) => s.add(entry)),
  put: (entry) => tx("outbox", "readwrite", (s) => s.put(entry)),
  delete: (seq) => tx("outbox", "readwrite", (s) => s.delete(seq)),
};

export const idStore = {
  get: (uuid) => tx("ids", "readonly", (s) => s.get(uuid)),
  put: (uuid, type, id) => tx("ids", "readwrite", (s) => s.put({ uuid, type, id, at: Date.now() })),
};

export const kv = {
  get: async (key) => (await tx("kv", "readonly", (s) => s.get(key)))?.value,
  set: (key, value) => tx("kv", "readwrite", (s) => s.put({ key, value })),
  delete: (key) => tx("kv", "readwrite", (s) => s.delete(key)),
};
