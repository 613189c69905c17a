//! Bindings to `glue.js`.
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/glue.js")]
extern "C" {
    #[wasm_bindgen(js_name = defineElement)]
    pub fn define_element(mount: &js_sys::Function);

    #[wasm_bindgen(js_name = dispatchAddToCart)]
    pub fn dispatch_add_to_cart(host: &web_sys::Element, detail: &JsValue) -> JsValue;

    #[wasm_bindgen(js_name = htmlText)]
    pub fn html_text(html: &str) -> String;

    #[wasm_bindgen(js_name = dispatchSignal)]
    pub fn dispatch_signal(host: &web_sys::Element, name: &str, detail: &JsValue);

    #[wasm_bindgen(js_name = formatNumber)]
    pub fn format_number(tag: &str, value: f64, currency: Option<String>) -> String;

    #[wasm_bindgen(js_name = formatDateTime)]
    pub fn format_date_time(tag: &str, millis: f64) -> String;

    #[wasm_bindgen(js_name = prefersReducedMotion)]
    pub fn prefers_reduced_motion() -> bool;

    #[wasm_bindgen(js_name = watchVideoTime)]
    pub fn watch_video_time(
        video: &web_sys::HtmlVideoElement,
        on_time: &js_sys::Function,
    ) -> js_sys::Function;

    #[wasm_bindgen(js_name = fillWhileFullScreen)]
    pub fn fill_while_full_screen(
        target: &web_sys::Element,
        video: &web_sys::HtmlVideoElement,
        fill: &str,
        video_fill: &str,
    ) -> js_sys::Function;

    #[wasm_bindgen(js_name = installApi)]
    pub fn install_api(api: &JsValue);

    #[wasm_bindgen(js_name = openPart)]
    pub fn open_part(
        name: &str,
        root: &web_sys::Element,
        host: &web_sys::Element,
        options: &JsValue,
    ) -> js_sys::Promise;

    #[wasm_bindgen(js_name = closePart)]
    pub fn close_part(handle: &JsValue);

    #[wasm_bindgen(js_name = warmPrepWorker)]
    pub fn warm_prep_worker();

    #[wasm_bindgen(js_name = prepareRaw)]
    pub fn prepare_raw(blob: &JsValue, profile: &str, region: &JsValue) -> js_sys::Promise;

    #[wasm_bindgen(js_name = cancelPrepare)]
    pub fn cancel_prepare();

}

/// A field of a JS object, `undefined` when missing.
pub fn field(value: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(value, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// A plain JS object with these fields; `undefined` values are left out.
pub fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let object = js_sys::Object::new();
    for (key, value) in fields {
        if !value.is_undefined() {
            let _ = js_sys::Reflect::set(&object, &JsValue::from_str(key), value);
        }
    }
    object.into()
}

/// An optional string as a JS value (`undefined` when absent).
pub fn opt_str(value: Option<&str>) -> JsValue {
    value.map_or(JsValue::UNDEFINED, JsValue::from_str)
}

/// A parsed JSON value from the browser's `JSON.parse`, viewed by core's decoders.
pub struct Js(pub JsValue);

impl live_shop_core::json::JsonView for Js {
    fn field(&self, key: &str) -> Option<Self> {
        if !self.0.is_object() || js_sys::Array::is_array(&self.0) {
            return None;
        }
        let value = js_sys::Reflect::get(&self.0, &JsValue::from_str(key)).ok()?;
        (!value.is_null() && !value.is_undefined()).then_some(Js(value))
    }
    fn string(&self) -> Option<String> {
        self.0.as_string()
    }
    fn number(&self) -> Option<f64> {
        self.0.as_f64().filter(|n| n.is_finite())
    }
    fn boolean(&self) -> Option<bool> {
        self.0.as_bool()
    }
    fn elements(&self) -> Option<Vec<Self>> {
        js_sys::Array::is_array(&self.0)
            .then(|| js_sys::Array::from(&self.0).iter().map(Js).collect())
    }
}

/// Parses JSON text with the browser's parser and decodes it with core's decoders.
pub fn decode<T: live_shop_core::json::FromJson>(
    text: &str,
) -> Result<T, live_shop_core::error::BackendError> {
    let value = js_sys::JSON::parse(text)
        .map_err(|_| live_shop_core::error::BackendError::Protocol("not JSON".into()))?;
    live_shop_core::json::decode_value(&Js(value))
}

/// A `data:` URL holding `text`, for download links.
pub fn data_url(mime: &str, text: &str) -> String {
    format!(
        "data:{mime};charset=utf-8,{}",
        String::from(js_sys::encode_uri_component(text))
    )
}
