// live-shop search glue: browser APIs of the search panel that Rust cannot call directly
// (getUserMedia's options, canvas capture, XMLHttpRequest's upload events). Loaded only with the
// search panel's module.

/**
 * The file of an input change, a drop or a paste: its first image, else its first file (the
 * studio takes videos and manifests through it too); null if there is none.
 */
export function fileFromEvent(event) {
  const list = (event.target && event.target.files) ||
    (event.dataTransfer && event.dataTransfer.files) ||
    (event.clipboardData && event.clipboardData.files) || [];
  const files = Array.from(list);
  const file = files.find((f) => f.type.startsWith('image/')) || files[0] || null;
  // Choosing the same file again must fire `change` again.
  if (event.target && event.target.files) event.target.value = '';
  return file;
}

/** Opens the rear camera (if there is one) into `video`; rejects with the DOMException name. */
export async function openCamera(video) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) throw 'TypeError';
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: { ideal: 'environment' }, width: { ideal: 1920 }, height: { ideal: 1080 } },
    });
  } catch (e) {
    throw (e && e.name) || 'Error';
  }
  if (!video.isConnected) {
    stream.getTracks().forEach((t) => t.stop());
    throw 'AbortError';
  }
  video.srcObject = stream;
  await video.play().catch(() => {});
  return stream;
}

/** Stops the camera shown in `video`. */
export function stopCamera(video) {
  const stream = video && video.srcObject;
  if (stream && stream.getTracks) stream.getTracks().forEach((t) => t.stop());
  if (video) video.srcObject = null;
}

/**
 * The current picture of a video (the page's player or the camera preview) as a JPEG Blob.
 * Rejects with `SecurityError` for a cross-origin video without CORS, `NotReadyError` before
 * the first frame.
 */
export function grabFrame(video) {
  return new Promise((resolve, reject) => {
    if (!video || video.readyState < 2 || !video.videoWidth) {
      reject('NotReadyError');
      return;
    }
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    try {
      canvas.getContext('2d').drawImage(video, 0, 0);
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject('EncodingError')), 'image/jpeg', 0.92);
    } catch (e) {
      reject((e && e.name) || 'SecurityError');
    }
  });
}

/** A URL that shows a Blob. */
export function objectUrl(blob) {
  return URL.createObjectURL(blob);
}

/** Frees a URL from `objectUrl`. */
export function revokeUrl(url) {
  URL.revokeObjectURL(url);
}

/**
 * POSTs a visual search (multipart `image` + `query`) with XMLHttpRequest, which reports when
 * the upload is done (sending → matching). Resolves `{status, body}`; rejects with `network`,
 * `timeout` or `aborted`.
 */
export function searchRequest(url, jpeg, query, timeoutMs, signal, onProgress, onUploaded) {
  return new Promise((resolve, reject) => {
    if (signal && signal.aborted) {
      reject('aborted');
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.timeout = timeoutMs;
    const form = new FormData();
    if (jpeg) form.append('image', new Blob([jpeg], { type: 'image/jpeg' }), 'query.jpg');
    form.append('query', new Blob([query], { type: 'application/json' }));
    if (jpeg) {
      xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
      xhr.upload.onload = () => onUploaded();
    }
    xhr.onload = () => resolve({ status: xhr.status, body: xhr.responseText });
    xhr.onerror = () => reject('network');
    xhr.ontimeout = () => reject('timeout');
    xhr.onabort = () => reject('aborted');
    if (signal) signal.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}

