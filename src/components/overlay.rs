//! The overlay root: connects the live link, follows the video's picture box, and lays out the
//! banner, the pinned deal and the shelf over it.
use std::rc::Rc;

use live_shop_core::deal::Show;
use live_shop_core::geometry::{css_number, Rect};
use live_shop_core::i18n::{Locale, Text};
use live_shop_core::view;
use yew::prelude::*;

use super::{DealCard, Shelf};
use crate::context::{Env, SharedClock};
use crate::hooks::{use_announcements, use_overlay_box, use_tick};
use crate::live::use_live_show;

/// Props of [`Overlay`]: what the page configured.
#[derive(Properties, PartialEq, Clone)]
pub struct OverlayProps {
    /// Backend base URL.
    pub backend: String,
    /// Stream id.
    pub stream: String,
    /// Locale.
    pub locale: Locale,
    /// CSS selector of the video to cover; else a `<video>` child of the host.
    #[prop_or_default]
    pub video: Option<String>,
    /// The host element events are dispatched on.
    pub host: web_sys::Element,
    /// Visual search's profile (`max-512` by default); `None` hides the camera button.
    #[prop_or(Some("max-512".into()))]
    pub search: Option<String>,
}

/// The live-deal overlay of one stream.
#[component]
pub fn Overlay(props: &OverlayProps) -> Html {
    let clock = use_memo((), |_| SharedClock::default());
    let env = Env {
        backend: props.backend.clone(),
        stream: props.stream.clone(),
        locale: props.locale.clone(),
        host: props.host.clone(),
        clock: (*clock).clone(),
        video: props.video.clone(),
        search: props.search.clone(),
    };
    let live = use_live_show(
        props.backend.clone(),
        props.stream.clone(),
        (*clock).clone(),
    );
    let rect = use_overlay_box(props.host.clone(), props.video.clone());
    html! {
        <OverlayView {env} show={live.show.clone()} reconnecting={live.reconnecting} {rect} />
    }
}

/// Props of [`OverlayView`].
#[derive(Properties, PartialEq, Clone)]
pub struct OverlayViewProps {
    /// The environment.
    pub env: Env,
    /// The show.
    pub show: Rc<Show>,
    /// Whether the live link is down.
    #[prop_or_default]
    pub reconnecting: bool,
    /// Where the video's picture is, relative to the host.
    #[prop_or_default]
    pub rect: Option<Rect>,
}

/// Renders a show; no network, so components can be tested with any state.
#[component]
pub fn OverlayView(props: &OverlayViewProps) -> Html {
    // Deals start and end on the clock, not only on events.
    use_tick(1_000);
    let env = &props.env;
    let now = env.now();
    let pinned = view::pinned(&props.show, &env.backend, now);
    let shelf = view::shelf(&props.show, &env.backend, now);
    let announcement = use_announcements(pinned.clone(), env.clone());
    let style = props.rect.map(|r| {
        format!(
            "left:{}px;top:{}px;width:{}px;height:{}px",
            css_number(r.x),
            css_number(r.y),
            css_number(r.width),
            css_number(r.height)
        )
    });
    let show = &props.show;
    let search_open = use_state(|| false);
    let search_button = use_node_ref();
    let open_search = {
        let search_open = search_open.clone();
        Callback::from(move |_: MouseEvent| search_open.set(true))
    };
    let close_search = {
        let (search_open, button) = (search_open.clone(), search_button.clone());
        Callback::from(move |()| {
            search_open.set(false);
            // Focus returns to the button that opened the panel.
            if let Some(button) = button.cast::<web_sys::HtmlElement>() {
                let _ = button.focus();
            }
        })
    };
    html! {
        <ContextProvider<Env> context={env.clone()}>
            <section class={classes!("stage", props.rect.is_none().then_some("standalone"))} {style}
                dir={env.locale.lang.dir()} lang={env.locale.tag.clone()}
                aria-label={env.text(Text::Overlay)}>
                <div class="top">
                    if show.live {
                        <span class="live-badge">{env.text(Text::Live)}</span>
                    }
                    if let Some(banner) = show.banner.clone() {
                        <p class="banner">
                            <strong>{banner.title}</strong>
                            if let Some(subtitle) = banner.subtitle {
                                <span>{subtitle}</span>
                            }
                        </p>
                    }
                    if props.reconnecting {
                        <span class="reconnecting" role="status">{env.text(Text::Reconnecting)}</span>
                    }
                    if env.search.is_some() {
                        <button type="button" class="search-open" ref={search_button}
                            aria-expanded={search_open.to_string()} onclick={open_search}>
                            <span aria-hidden="true">{"⌕"}</span>
                            <span class="label">{env.text(Text::SearchOpen)}</span>
                        </button>
                    }
                </div>
                <div class="bottom">
                    if let Some(card) = pinned {
                        <div class="pinned"><DealCard {card} /></div>
                    }
                    <Shelf cards={shelf} />
                </div>
                <div class="sr-only" aria-live="polite" aria-atomic="true">{announcement}</div>
            </section>
            // Over the whole player, letterbox included: the panel needs the room.
            if *search_open {
                <SearchSlot on_close={close_search} />
            }
        </ContextProvider<Env>>
    }
}

/// Props of [`SearchSlot`].
#[derive(Properties, PartialEq, Clone)]
pub struct SearchSlotProps {
    /// Closes the panel.
    pub on_close: Callback<()>,
}

/// Where the visual search panel goes. The panel is its own wasm module, fetched the first time
/// a shopper opens it, so the overlay's first load carries none of it.
#[component]
pub fn SearchSlot(props: &SearchSlotProps) -> Html {
    let env = use_context::<Env>();
    let slot = use_node_ref();
    let failed = use_state(|| false);
    {
        let (slot, failed, on_close) = (slot.clone(), failed.clone(), props.on_close.clone());
        let env = env.clone();
        use_effect_with((), move |_| {
            let handle = std::rc::Rc::new(std::cell::RefCell::new(None::<wasm_bindgen::JsValue>));
            let close = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || on_close.emit(()));
            if let (Some(root), Some(env)) = (slot.cast::<web_sys::Element>(), env) {
                let options = crate::js::object(&[
                    ("backend", env.backend.as_str().into()),
                    ("stream", env.stream.as_str().into()),
                    ("locale", env.locale.tag.as_str().into()),
                    ("video", crate::js::opt_str(env.video.as_deref())),
                    ("profile", crate::js::opt_str(env.search.as_deref())),
                    ("onClose", close.as_ref().clone()),
                ]);
                let promise = crate::js::open_search(&root, &env.host, &options);
                let handle = handle.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    match wasm_bindgen_futures::JsFuture::from(promise).await {
                        Ok(h) => *handle.borrow_mut() = Some(h),
                        Err(_) => failed.set(true),
                    }
                });
            }
            move || {
                if let Some(h) = handle.borrow_mut().take() {
                    crate::js::close_search(&h);
                }
                drop(close);
            }
        });
    }
    let Some(env) = env else { return html! {} };
    html! {
        <div class="search-slot">
            // Owned by the search module once it has loaded.
            <div class="search-mount" ref={slot} data-loading={env.text(Text::Loading)}></div>
            if *failed {
                <p class="search-status error" role="status">{env.text(Text::ErrorOffline)}</p>
            }
        </div>
    }
}
