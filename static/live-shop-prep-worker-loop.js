// live-shop's preprocessing worker: its message loop. The page starts it (src/glue.js) and,
// while its thread starts, fetches the wasm-bindgen glue and compiles the module; the worker
// then loads both, runs `prepare` on each photo and sends the bytes back.
let boot;
// The page holds its jobs until it hears this, so that a worker its policy refused loses none.
self.postMessage({ started: true });
const ready = new Promise((resolve, reject) => { boot = { resolve, reject }; });
self.onmessage = async (event) => {
  const { id, buffer, profile, box, warm, module, glue, glueUrl, bootError } = event.data;
  if (module) {
    try {
      // The page's copy of the glue; its own URL where a policy refuses blob: scripts.
      try { importScripts(glue || glueUrl); } catch (e) { if (!glue) throw e; importScripts(glueUrl); }
      wasm_bindgen({ module_or_path: module }).then(boot.resolve, boot.reject);
    } catch (e) { boot.reject(e); }
    return;
  }
  if (bootError) { boot.reject(bootError); return; }
  try { await ready; } catch (e) {
    self.postMessage({ id, error: { code: 'load', message: String(e) } });
    return;
  }
  if (warm) { wasm_bindgen.warm(); return; }
  try {
    const result = wasm_bindgen.prepare(new Uint8Array(buffer), profile, box);
    self.postMessage({ id, result }, [result.bytes.buffer]);
  } catch (error) {
    // A format the pipeline does not read (HEIC, AVIF) may still be one this browser decodes
    // (Safari reads HEIC): hand the pipeline the browser's upright pixels as a PNG instead.
    if (error && error.code === 'unsupported' && self.createImageBitmap && self.OffscreenCanvas) {
      try {
        const bitmap = await createImageBitmap(new Blob([buffer]), { imageOrientation: 'from-image' });
        const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
        canvas.getContext('2d').drawImage(bitmap, 0, 0);
        bitmap.close();
        const png = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
        const result = wasm_bindgen.prepare(png, profile, box);
        self.postMessage({ id, result }, [result.bytes.buffer]);
        return;
      } catch (_) { /* the browser cannot read it either: report the pipeline's reason */ }
    }
    self.postMessage({ id, error });
  }
};
