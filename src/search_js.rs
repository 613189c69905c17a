//! Bindings to `search_glue.js`, which only the search panel's module loads.
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/search_glue.js")]
extern "C" {
    #[wasm_bindgen(js_name = fileFromEvent)]
    pub fn file_from_event(event: &web_sys::Event) -> JsValue;

    #[wasm_bindgen(js_name = openCamera)]
    pub fn open_camera(video: &web_sys::HtmlVideoElement) -> js_sys::Promise;

    #[wasm_bindgen(js_name = stopCamera)]
    pub fn stop_camera(video: &web_sys::HtmlVideoElement);

    #[wasm_bindgen(js_name = grabFrame)]
    pub fn grab_frame(video: &web_sys::HtmlVideoElement) -> js_sys::Promise;

    #[wasm_bindgen(js_name = objectUrl)]
    pub fn object_url(blob: &JsValue) -> String;

    #[wasm_bindgen(js_name = revokeUrl)]
    pub fn revoke_url(url: &str);

    #[allow(clippy::too_many_arguments)]
    #[wasm_bindgen(js_name = searchRequest)]
    pub fn search_request(
        url: &str,
        jpeg: &JsValue,
        query: &str,
        timeout_ms: u32,
        signal: &web_sys::AbortSignal,
        on_progress: &js_sys::Function,
        on_uploaded: &js_sys::Function,
    ) -> js_sys::Promise;
}
