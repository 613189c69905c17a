//! Bindings to `glue.js`.
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/glue.js")]
extern "C" {
    #[wasm_bindgen(js_name = defineElement)]
    pub fn define_element(mount: &js_sys::Function);

    #[wasm_bindgen(js_name = dispatchAddToCart)]
    pub fn dispatch_add_to_cart(host: &web_sys::Element, detail: &JsValue) -> JsValue;

    #[wasm_bindgen(js_name = dispatchSignal)]
    pub fn dispatch_signal(host: &web_sys::Element, name: &str, detail: &JsValue);

    #[wasm_bindgen(js_name = formatNumber)]
    pub fn format_number(tag: &str, value: f64, currency: Option<String>) -> String;

    #[wasm_bindgen(js_name = formatDateTime)]
    pub fn format_date_time(tag: &str, millis: f64) -> String;

    #[wasm_bindgen(js_name = prefersReducedMotion)]
    pub fn prefers_reduced_motion() -> bool;
}

/// Converts a serialisable value to a plain JS object, as page code expects. Through JSON text:
/// the serializer is already in the binary for requests, so this costs no extra code.
pub fn to_js<T: serde::Serialize + ?Sized>(value: &T) -> JsValue {
    serde_json::to_string(value)
        .ok()
        .and_then(|text| js_sys::JSON::parse(&text).ok())
        .unwrap_or(JsValue::NULL)
}
