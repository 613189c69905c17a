//! What the on-demand parts (search panel, replay hotspots, studio) share: reading their
//! options, their environment, and the `{destroy()}` handle they return to the overlay.
use std::cell::RefCell;
use std::rc::Rc;

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
/// `locale`, `video`, `videoId`); visual search off unless the part turns it on.
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
