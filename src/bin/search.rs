//! The search panel's module: the overlay imports it the first time a shopper opens visual
//! search and calls `mountSearch`. Keeping it out of the overlay's binary keeps first load small.
use wasm_bindgen::prelude::*;

/// Mounts the search panel in `root`; see [`live_shop::search_app::mount`].
#[wasm_bindgen(js_name = mountSearch)]
pub fn mount_search(
    root: web_sys::Element,
    host: web_sys::Element,
    options: JsValue,
) -> Result<JsValue, JsValue> {
    live_shop::search_app::mount(root, host, &options)
}

fn main() {}
