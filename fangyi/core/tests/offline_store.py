"""Reading the offline pages' store on a phone from a browser test, as a copy of the
phone's disk would show it (docs/offline.md, "The phone's store")."""

# Every record of the phone's offline databases, binary fields read as UTF-8 text: what a
# copy of the phone's disk shows without the key.
RAW_STORE_JS = """async () => {
  const out = {};
  for (const {name} of await indexedDB.databases()) {
    const db = await new Promise((resolve) => {
      const open = indexedDB.open(name);
      open.onsuccess = () => resolve(open.result);
    });
    for (const store of Array.from(db.objectStoreNames)) {
      const rows = await new Promise((resolve) => {
        const all = db.transaction(store).objectStore(store).getAll();
        all.onsuccess = () => resolve(all.result);
      });
      out[name + "/" + store] = rows.map((row) => Object.fromEntries(Object.entries(row).map(
        ([k, v]) => [k, (v instanceof ArrayBuffer || ArrayBuffer.isView(v))
          ? new TextDecoder().decode(v) : v])));
    }
    db.close();
  }
  return out;
}"""

# The text of every response kept in the offline pages' caches.
RAW_CACHES_JS = """async () => {
  const texts = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      texts.push(await (await cache.match(request)).text());
    }
  }
  return texts;
}"""

LEFT_JS = """async () => ({
  dbs: (await indexedDB.databases()).map((d) => d.name).sort(),
  caches: await caches.keys(),
  workers: (await navigator.serviceWorker.getRegistrations()).length,
})"""
