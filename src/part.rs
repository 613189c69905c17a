//! What the on-demand parts (search panel, replay hotspots, studio) share: reading their
//! options, their environment, the `{destroy()}` handle they return to the overlay, and the
//! `mountPart` entry of the modules that hold them (`src/bin/parts.rs`, `src/bin/studio.rs`).
use std::cell::RefCell;
use std::rc::Rc;

use live_shop_core::adapter::ShopCart;
use live_shop_core::i18n::Locale;
use wasm_bindgen::prelude::*;
use web_sys::Element;
use yew::BaseComponent;

use crate::context::{Env, SharedClock};
use crate::js;

/// A non-empty string option.
pub(crate) fn option(options: &JsValue, key: &str) -> Option<String> {
    js::field(options, key)
        .as_string()
        .filter(|s| !s.is_empty())
}

/// The environment from the options the overlay passes (`backend` is required; `stream`,
/// `locale`, `video`, `videoId`, `cart`, `cartRoot`); visual search off unless the part turns it on.
pub(crate) fn env(options: &JsValue, host: Element) -> Result<Env, JsValue> {
    let backend =
        option(options, "backend").ok_or_else(|| JsValue::from_str("backend is required"))?;
    Ok(Env {
        backend,
        stream: option(options, "stream").unwrap_or_default(),
        locale: Locale::negotiate(option(options, "locale").as_deref(), None),
        host,
        clock: SharedClock::default(),
        video: option(options, "video"),
        search: None,
        video_id: option(options, "videoId"),
        cart: ShopCart::from_options(
            option(options, "cart").as_deref(),
            option(options, "cartRoot").as_deref(),
        ),
    })
}

/// Renders `C` in `root` and returns the part's handle, whose `destroy()` unmounts it.
pub(crate) fn render<C: BaseComponent>(root: Element, props: C::Properties) -> JsValue {
    let app = yew::Renderer::<C>::with_root_and_props(root, props).render();
    let app = Rc::new(RefCell::new(Some(app)));
    let destroy = Closure::<dyn FnMut()>::new(move || {
        if let Some(app) = app.borrow_mut().take() {
            app.destroy();
        }
    });
    js::object(&[("destroy", destroy.into_js_value())])
}

/// A part's entry: mounts it in `root`, dispatching cart events on `host`, and returns its
/// `{destroy()}` handle.
pub type Mount = fn(Element, Element, &JsValue) -> Result<JsValue, JsValue>;

/// A part module's `mountPart(name, root, host, options)`: mounts the part of `parts` named
/// `name`, or explains that this module has no such part.
pub fn mount_named(
    parts: &[(&str, Mount)],
    name: &str,
    root: Element,
    host: Element,
    options: &JsValue,
) -> Result<JsValue, JsValue> {
    match parts.iter().find(|(part, _)| *part == name) {
        Some((_, mount)) => mount(root, host, options),
        None => Err(JsValue::from_str(&format!("live-shop: no part {name:?}"))),
    }
}

/// Defines a part module's exported `mountPart(name, root, host, options)` over
/// `"name" => mount` pairs (see [`mount_named`]).
#[macro_export]
macro_rules! part_module {
    ($($name:literal => $mount:path),+ $(,)?) => {
        /// Mounts the part named `name` in `root`, dispatching cart events on `host`; returns
        /// its `{destroy()}` handle.
        #[wasm_bindgen::prelude::wasm_bindgen(js_name = mountPart)]
        pub fn mount_part(
            name: &str,
            root: web_sys::Element,
            host: web_sys::Element,
            options: wasm_bindgen::JsValue,
        ) -> Result<wasm_bindgen::JsValue, wasm_bindgen::JsValue> {
            let parts: &[(&str, $crate::part::Mount)] = &[$(($name, $mount)),+];
            $crate::part::mount_named(parts, name, root, host, &options)
        }
    };
}
