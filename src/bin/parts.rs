//! The widget's parts that load on demand, in one module fetched the first time any is needed:
//! the visual search panel, the replay hotspot layer and the creator studio. The overlay
//! imports it and calls `mountPart(name, root, host, options)`; keeping them out of the
//! overlay's binary keeps its first load small.
use wasm_bindgen::prelude::*;

/// Mounts part `name` (`search`, `hotspots`, `studio`) in `root`; returns `{destroy()}`.
#[wasm_bindgen(js_name = mountPart)]
pub fn mount_part(
    name: &str,
    root: web_sys::Element,
    host: web_sys::Element,
    options: JsValue,
) -> Result<JsValue, JsValue> {
    match name {
        "search" => live_shop::search_app::mount(root, host, &options),
        "hotspots" => live_shop::hotspots_app::mount(root, host, &options),
        "studio" => live_shop::studio_app::mount(root, host, &options),
        other => Err(JsValue::from_str(&format!("live-shop: no part {other:?}"))),
    }
}

fn main() {}
