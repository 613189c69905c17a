//! The shoppers' parts that load on demand, in one module fetched the first time either is
//! needed: the visual search panel and the replay hotspot layer. The overlay imports it and
//! calls `mountPart(name, root, host, options)`; keeping them out of the overlay's binary keeps
//! its first load small. The creator studio is a module of its own (`studio.rs`), which
//! shoppers never fetch.
use wasm_bindgen::prelude::*;

/// Mounts part `name` (`search`, `hotspots`) in `root`; returns `{destroy()}`.
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
        other => Err(JsValue::from_str(&format!("live-shop: no part {other:?}"))),
    }
}

fn main() {}
