//! The replay hotspot layer as a part: `mountPart("hotspots", root, host, options)` in the
//! `live-shop-parts` module, mounted by the overlay over the video's picture when the page names
//! a `video-id`. Options: `backend`, `locale`, `videoId`, `video` (selector). Returns
//! `{destroy()}`.
use std::rc::Rc;

use live_shop_core::deal::Show;
use live_shop_core::geometry::css_number;
use live_shop_core::i18n::Locale;
use wasm_bindgen::prelude::*;
use web_sys::Element;
use yew::prelude::*;

use crate::components::Hotspots;
use crate::context::{Env, SharedClock};
use crate::hooks::use_overlay_box;
use crate::js;

/// Props of [`HotspotsApp`].
#[derive(Properties, PartialEq, Clone)]
pub struct HotspotsAppProps {
    /// The environment.
    pub env: Env,
}

/// The layer with its environment.
#[component]
pub fn HotspotsApp(props: &HotspotsAppProps) -> Html {
    let show = use_memo((), |_| Rc::new(Show::default()));
    let video_id = props.env.video_id.clone().unwrap_or_default();
    // Over the video's picture, as the overlay's stage is.
    let rect = use_overlay_box(props.env.host.clone(), props.env.video.clone());
    let style = rect.map(|r| {
        format!(
            "left:{}px;top:{}px;width:{}px;height:{}px",
            css_number(r.x),
            css_number(r.y),
            css_number(r.width),
            css_number(r.height)
        )
    });
    html! {
        <ContextProvider<Env> context={props.env.clone()}>
            <div class="hotspots-stage" {style} dir={props.env.locale.lang.dir()} lang={props.env.locale.tag.clone()}>
                <Hotspots {video_id} show={(*show).clone()} />
            </div>
        </ContextProvider<Env>>
    }
}

/// Mounts the layer in `root`, for the video in (or named by) `host`.
pub fn mount(root: Element, host: Element, options: &JsValue) -> Result<JsValue, JsValue> {
    let text = |key: &str| {
        js::field(options, key)
            .as_string()
            .filter(|s| !s.is_empty())
    };
    let backend = text("backend").ok_or_else(|| JsValue::from_str("backend is required"))?;
    let env = Env {
        backend,
        stream: text("stream").unwrap_or_default(),
        locale: Locale::negotiate(text("locale").as_deref(), None),
        host,
        clock: SharedClock::default(),
        video: text("video"),
        search: None,
        video_id: text("videoId"),
    };
    let app =
        yew::Renderer::<HotspotsApp>::with_root_and_props(root, HotspotsAppProps { env }).render();
    let app = Rc::new(std::cell::RefCell::new(Some(app)));
    let destroy = Closure::<dyn FnMut()>::new(move || {
        if let Some(app) = app.borrow_mut().take() {
            app.destroy();
        }
    });
    Ok(js::object(&[("destroy", destroy.into_js_value())]))
}
