//! The creator studio as a module of its own, fetched only by studio pages: it is about as large
//! as the shoppers' parts together (`parts.rs`), which it would otherwise weigh down.
use wasm_bindgen::prelude::*;

/// Mounts part `name` (`studio`) in `root`; returns `{destroy()}`.
#[wasm_bindgen(js_name = mountPart)]
pub fn mount_part(
    name: &str,
    root: web_sys::Element,
    host: web_sys::Element,
    options: JsValue,
) -> Result<JsValue, JsValue> {
    match name {
        "studio" => live_shop::studio_app::mount(root, host, &options),
        other => Err(JsValue::from_str(&format!("live-shop: no part {other:?}"))),
    }
}

fn main() {}
