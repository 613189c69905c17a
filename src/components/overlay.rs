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
                </div>
                <div class="bottom">
                    if let Some(card) = pinned {
                        <div class="pinned"><DealCard {card} /></div>
                    }
                    <Shelf cards={shelf} />
                </div>
                <div class="sr-only" aria-live="polite" aria-atomic="true">{announcement}</div>
            </section>
        </ContextProvider<Env>>
    }
}
