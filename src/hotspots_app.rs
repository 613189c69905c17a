//! The replay hotspot layer as a part: `mountPart("hotspots", root, host, options)` in the
//! `live-shop-parts` module, mounted by the overlay over the video's picture when the page names
//! a `video-id`. Options: `backend`, `locale`, `videoId`, `video` (selector). Returns
//! `{destroy()}`.
use std::rc::Rc;

use live_shop_core::deal::Show;
use live_shop_core::geometry::Rect;
use live_shop_core::view::Layout;
use wasm_bindgen::prelude::*;
use web_sys::Element;
use yew::prelude::*;

use crate::components::Hotspots;
use crate::context::Env;
use crate::hooks::use_video_boxes;
use crate::part;

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
    let boxes = use_video_boxes(props.env.host.clone(), props.env.video.clone());
    let rect = boxes.map(|b| b.picture);
    let style = rect.map(Rect::css_box);
    let lowest = boxes.map_or(1.0, |b| b.lowest_hotspot());
    let crop = boxes.map(|b| b.crop()).unwrap_or_default();
    // Over a short picture the product card is compact, as the pinned card is.
    let short = Layout::for_area(rect) == Layout::Short;
    html! {
        <ContextProvider<Env> context={props.env.clone()}>
            <div class={classes!("hotspots-stage", short.then_some("short"))} ~style={style}
                dir={props.env.locale.lang.dir()} lang={props.env.locale.tag.clone()}>
                <Hotspots {video_id} show={(*show).clone()} {lowest} {crop} />
            </div>
        </ContextProvider<Env>>
    }
}

crate::part_styles!("../static/hotspots.css", "live-shop-hotspots-css");

/// Mounts the layer in `root`, for the video in (or named by) `host`.
pub fn mount(root: Element, host: Element, options: &JsValue) -> Result<JsValue, JsValue> {
    add_part_styles(&root)?;
    let env = part::env(options, host)?;
    Ok(part::render::<HotspotsApp>(root, HotspotsAppProps { env }))
}
