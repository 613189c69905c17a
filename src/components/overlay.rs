//! The overlay root: connects the live link, follows the video's picture box, and lays out the
//! banner, the pinned deal and the shelf over it.
use std::rc::Rc;

use live_shop_core::adapter::ShopCart;
use live_shop_core::deal::Show;
use live_shop_core::geometry::Rect;
use live_shop_core::i18n::{Locale, Text};
use live_shop_core::view;
use yew::prelude::*;

use super::{DealCard, Shelf};
use crate::context::{Env, SharedClock};
use crate::hooks::{use_announcements, use_fullscreen, use_tick, use_video_boxes};
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
    /// Visual search's profile (empty by default: the backend's choice); `None` hides the
    /// camera button.
    #[prop_or(Some(String::new()))]
    pub search: Option<String>,
    /// The video's id: its hotspots are shown in sync with the picture.
    #[prop_or_default]
    pub video_id: Option<String>,
    /// `mode="studio"`: the creator studio instead of the overlay.
    #[prop_or_default]
    pub studio: Option<StudioOptions>,
    /// The shop's own cart, for adds the page leaves unanswered.
    #[prop_or_default]
    pub cart: Option<ShopCart>,
}

/// What the studio starts with.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct StudioOptions {
    /// The video to edit.
    pub src: Option<String>,
    /// A creator token the page already has.
    pub token: Option<String>,
}

/// The widget: the overlay, or with `mode="studio"` the creator studio.
#[component]
pub fn Widget(props: &OverlayProps) -> Html {
    match &props.studio {
        None => html! { <Overlay ..props.clone() /> },
        Some(studio) => {
            let env = Env {
                backend: props.backend.clone(),
                stream: props.stream.clone(),
                locale: props.locale.clone(),
                host: props.host.clone(),
                clock: SharedClock::default(),
                video: None,
                search: None,
                video_id: props.video_id.clone(),
                cart: props.cart.clone(),
            };
            let options = vec![
                ("backend", Some(props.backend.clone())),
                ("stream", Some(props.stream.clone())),
                ("locale", Some(props.locale.tag.clone())),
                ("videoId", props.video_id.clone()),
                ("src", studio.src.clone()),
                ("token", studio.token.clone()),
            ];
            html! {
                <ContextProvider<Env> context={env}>
                    <PartSlot name="studio" {options} class="studio-slot" />
                </ContextProvider<Env>>
            }
        }
    }
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
        video_id: props.video_id.clone(),
        cart: props.cart.clone(),
    };
    let live = use_live_show(
        props.backend.clone(),
        props.stream.clone(),
        (*clock).clone(),
    );
    let boxes = use_video_boxes(props.host.clone(), props.video.clone());
    html! {
        <OverlayView {env} show={live.show.clone()} reconnecting={live.reconnecting} unknown={live.unknown}
            rect={boxes.map(|b| b.stage)} player={boxes.map(|b| b.player)} />
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
    /// Whether the backend has no stream of this id.
    #[prop_or_default]
    pub unknown: bool,
    /// Where the stage is, relative to the host: the video's picture, less the strip its own
    /// controls take when it shows them.
    #[prop_or_default]
    pub rect: Option<Rect>,
    /// Where the whole video element is, relative to the host: the search panel covers it.
    #[prop_or_default]
    pub player: Option<Rect>,
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
    let style = props.rect.map(Rect::css_box);
    let layout = view::Layout::for_area(props.rect);
    // The search panel needs more room than the overlay: it is a sheet over the page while the
    // whole player is short. It moves between the two as the player changes (a phone turning),
    // keeping the shopper's photo and query.
    let search_sheet = view::Layout::for_area(props.player) == view::Layout::Short;
    let show = &props.show;
    let fullscreen = use_fullscreen(env.host.clone(), env.video.clone(), props.rect);
    let toggle_fullscreen = {
        let fullscreen = fullscreen.clone();
        Callback::from(move |_: MouseEvent| {
            let Some(document) = web_sys::window().and_then(|w| w.document()) else {
                return;
            };
            if fullscreen.active {
                document.exit_fullscreen();
            } else if let Some(target) = &fullscreen.target {
                // Refused without a click or in a frame without permission: nothing changes.
                let _ = target.request_fullscreen();
            }
        })
    };
    let fullscreen_label = env.text(if fullscreen.active {
        Text::ExitFullScreen
    } else {
        Text::FullScreen
    });
    // How many times the panel was opened; 0 while it is closed. Each opening is a fresh
    // panel, so the button tries again after its code failed to load.
    let search_open = use_state(|| 0u32);
    let search_button = use_node_ref();
    let open_search = {
        let search_open = search_open.clone();
        Callback::from(move |_: MouseEvent| search_open.set(search_open.wrapping_add(1).max(1)))
    };
    let close_search = {
        let search_open = search_open.clone();
        Callback::from(move |()| search_open.set(0))
    };
    // Focus returns to the button that opened the panel, once the panel is gone: a modal sheet
    // leaves the button inert until then.
    {
        let (button, was_open) = (search_button.clone(), use_mut_ref(|| false));
        use_effect_with(*search_open != 0, move |&open| {
            if was_open.replace(open) && !open {
                if let Some(button) = button.cast::<web_sys::HtmlElement>() {
                    let _ = button.focus();
                }
            }
        });
    }
    html! {
        <ContextProvider<Env> context={env.clone()}>
            <section class={classes!("stage", props.rect.is_none().then_some("standalone"),
                (layout == view::Layout::Short).then_some("short"))} ~style={style}
                dir={env.locale.lang.dir()} lang={env.locale.tag.clone()}
                aria-label={env.text(Text::Overlay)}>
                <div class="top">
                    if show.live {
                        <span class="live-badge">{env.text(Text::Live)}</span>
                    }
                    if let Some(banner) = show.banner.clone() {
                        <p class="banner">
                            <strong dir="auto">{banner.title}</strong>
                            if let Some(subtitle) = banner.subtitle {
                                <span dir="auto">{subtitle}</span>
                            }
                        </p>
                    }
                    if props.unknown {
                        <span class="unavailable" role="status">{env.text(Text::StreamUnavailable)}</span>
                    } else if props.reconnecting {
                        <span class="reconnecting" role="status">{env.text(Text::Reconnecting)}</span>
                    }
                    if env.search.is_some() {
                        <button type="button" class="search-open" ref={search_button}
                            aria-expanded={(*search_open != 0).to_string()} onclick={open_search}>
                            // Drawn, not a glyph: fonts for Arabic and Persian lack U+2315.
                            <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
                                <circle cx="6.5" cy="6.5" r="4.5" fill="none" stroke="currentColor" stroke-width="2" />
                                <path d="M10 10l4.5 4.5" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
                            </svg>
                            <span class="label">{env.text(Text::SearchOpen)}</span>
                        </button>
                    }
                    if fullscreen.target.is_some() {
                        <button type="button" class="fullscreen" onclick={toggle_fullscreen}
                            aria-pressed={fullscreen.active.to_string()}
                            aria-label={fullscreen_label} title={fullscreen_label}>
                            <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
                                <path fill="none" stroke="currentColor" stroke-width="2"
                                    d={if fullscreen.active { "M5 1v4H1M11 1v4h4M11 15v-4h4M5 15v-4H1" } else { "M1 5V1h4M11 1h4v4M15 11v4h-4M5 15H1v-4" }} />
                            </svg>
                        </button>
                    }
                </div>
                if env.video_id.is_some() {
                    <PartSlot name="hotspots" options={hotspot_options(env)} class="hotspots-slot" />
                }
                <div class="bottom">
                    if let Some(card) = pinned {
                        <div class="pinned"><DealCard {card} /></div>
                    }
                    <Shelf cards={shelf} sheet={layout == view::Layout::Short} />
                </div>
                <div class="sr-only" aria-live="polite" aria-atomic="true">{announcement}</div>
            </section>
            // Over the whole player, letterbox included: the panel needs the room. The host
            // without a video; never past the player onto the page.
            if *search_open != 0 {
                <PartSlot key={*search_open} name="search" options={search_options(env)} on_close={Some(close_search)}
                    class="search-slot" place={props.player} dialog={Some("live-shop-search-title")}
                    sheet={search_sheet} />
            }
        </ContextProvider<Env>>
    }
}

/// Props of [`PartSlot`].
#[derive(Properties, PartialEq, Clone)]
pub struct PartSlotProps {
    /// `search`, `hotspots` or `studio`: the part, from the module that holds it (`openPart`).
    pub name: &'static str,
    /// Options for its `mountPart`, besides `onClose`.
    pub options: Vec<(&'static str, Option<String>)>,
    /// Called when the part closes itself.
    #[prop_or_default]
    pub on_close: Option<Callback<()>>,
    /// Extra class of the slot.
    #[prop_or_default]
    pub class: Option<&'static str>,
    /// Where the slot goes, relative to the host; the class's place when `None`.
    #[prop_or_default]
    pub place: Option<Rect>,
    /// `Some(id)`: the part is a dialog, named by its element `id` (the slot carries the role,
    /// so that the part is one dialog in either form).
    #[prop_or_default]
    pub dialog: Option<&'static str>,
    /// The part shows in a modal dialog over the whole page instead (a sheet, for a short
    /// player), where Escape asks it to close. It moves in and out of the sheet as this
    /// changes, without starting over.
    #[prop_or_default]
    pub sheet: bool,
}

/// A lazily loaded part of the widget (the search panel, the replay hotspots, the studio). Its
/// code is its own wasm module, fetched the first time a part is shown, so the overlay's first
/// load carries none of it. The part renders into its own element in the shadow root, beside
/// the overlay's tree rather than inside it: the part's Yew runtime and the overlay's must not
/// see each other's events.
#[component]
pub fn PartSlot(props: &PartSlotProps) -> Html {
    let env = use_context::<Env>();
    let failed = use_state(|| false);
    let slot = use_mut_ref(|| None::<web_sys::HtmlElement>);
    {
        let (failed, props, slot) = (failed.clone(), props.clone(), slot.clone());
        let env = env.clone();
        // New options (another video, locale or backend) mount the part afresh.
        use_effect_with(props.options.clone(), move |_| {
            let handle = std::rc::Rc::new(std::cell::RefCell::new(None::<wasm_bindgen::JsValue>));
            let on_close = props.on_close.clone();
            let close = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || {
                if let Some(on_close) = &on_close {
                    on_close.emit(());
                }
            });
            let mount = env.as_ref().and_then(|env| {
                let shadow = env.host.shadow_root()?;
                let div = web_sys::window()?.document()?.create_element("div").ok()?;
                div.set_class_name(&format!("part-mount {}", props.class.unwrap_or_default()));
                let _ = div.set_attribute("data-loading", env.text(Text::Loading));
                shadow.append_child(&div).ok()?;
                wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(div).ok()
            });
            *slot.borrow_mut() = mount.clone();
            if let (Some(root), Some(env)) = (mount.clone(), env) {
                let mut fields: Vec<(&str, wasm_bindgen::JsValue)> = props
                    .options
                    .iter()
                    .map(|(k, v)| (*k, crate::js::opt_str(v.as_deref())))
                    .collect();
                fields.push(("onClose", close.as_ref().clone()));
                let options = crate::js::object(&fields);
                let promise = crate::js::open_part(props.name, &root, &env.host, &options);
                let root = root.clone();
                let handle = handle.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    match wasm_bindgen_futures::JsFuture::from(promise).await {
                        Ok(h) => *handle.borrow_mut() = Some(h),
                        // Said in the overlay; the empty slot (and the sheet, which would
                        // cover the message) goes, and the part's button opens it afresh.
                        Err(_) => {
                            root.remove();
                            failed.set(true);
                        }
                    }
                });
            }
            move || {
                if let Some(h) = handle.borrow_mut().take() {
                    crate::js::close_part(&h);
                }
                if let Some(div) = mount {
                    div.remove();
                }
                drop(close);
            }
        });
    }
    {
        // The part's form: a dialog in the player, or a modal sheet that holds the same element
        // (moved, not mounted again, so the part keeps its state).
        let slot = slot.clone();
        let (on_close, host) = (props.on_close.clone(), env.as_ref().map(|e| e.host.clone()));
        let class = props.class.unwrap_or_default();
        let sheet = props.sheet && !*failed;
        use_effect_with(
            (sheet, props.dialog, props.options.clone()),
            move |&(sheet, label, _)| {
                let div = slot.borrow().clone();
                let shadow = host.and_then(|h| h.shadow_root());
                let mut wrapper = None;
                if let (Some(div), Some(shadow)) = (&div, &shadow) {
                    for name in ["role", "aria-modal", "aria-labelledby"] {
                        let _ = div.remove_attribute(name);
                    }
                    if sheet {
                        wrapper = sheet_around(div, shadow, class, label, on_close);
                    } else if let Some(label) = label {
                        let _ = div.set_attribute("role", "dialog");
                        let _ = div.set_attribute("aria-modal", "false");
                        let _ = div.set_attribute("aria-labelledby", label);
                    }
                }
                move || {
                    let (Some((dialog, cancel)), Some(div), Some(shadow)) = (wrapper, div, shadow)
                    else {
                        return;
                    };
                    drop(cancel);
                    let had_focus = shadow
                        .active_element()
                        .is_some_and(|focused| dialog.contains(Some(&focused)));
                    // Still the part's (not removed with it): back into the player.
                    if div
                        .parent_node()
                        .is_some_and(|p| p.is_same_node(Some(&dialog)))
                    {
                        let _ = shadow.append_child(&div);
                    }
                    dialog.close();
                    dialog.remove();
                    if had_focus {
                        let first = div.query_selector("[tabindex]").ok().flatten();
                        if let Some(first) = first.and_then(|e| {
                            wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok()
                        }) {
                            let _ = first.focus();
                        }
                    }
                }
            },
        );
    }
    // Set through the CSSOM, as the overlay's own boxes are (a page's CSP allows it).
    // A sheet covers the page, wherever the player is.
    let place = props.place.filter(|_| !props.sheet || *failed);
    use_effect_with((place, props.options.clone()), move |(place, _)| {
        if let Some(slot) = slot.borrow().as_ref() {
            slot.style()
                .set_css_text(&place.map(Rect::css_box).unwrap_or_default());
        }
    });
    let Some(env) = env else { return html! {} };
    html! {
        if *failed {
            <p class={classes!("part-status", "error", props.class)} role="status">{env.text(Text::PartFailed)}</p>
        }
    }
}

/// Moves `div` into a new modal `<dialog>` over the page, named by the element `label`; Escape
/// there calls `on_close`. Returns the dialog and its Escape listener.
fn sheet_around(
    div: &web_sys::HtmlElement,
    shadow: &web_sys::ShadowRoot,
    class: &str,
    label: Option<&'static str>,
    on_close: Option<Callback<()>>,
) -> Option<(web_sys::HtmlDialogElement, gloo_events::EventListener)> {
    let dialog = web_sys::window()?
        .document()?
        .create_element("dialog")
        .ok()?;
    let dialog: web_sys::HtmlDialogElement = wasm_bindgen::JsCast::dyn_into(dialog).ok()?;
    // The slot's own class too (`search-slot`), so its sheet is styled as its own.
    dialog.set_class_name(&format!("part-sheet {class}"));
    if let Some(label) = label {
        let _ = dialog.set_attribute("aria-labelledby", label);
    }
    shadow.append_child(&dialog).ok()?;
    dialog.append_child(div).ok()?;
    // Refused only for a dialog outside the document, which nobody sees.
    let _ = dialog.show_modal();
    let cancel = gloo_events::EventListener::new(&dialog, "cancel", move |event| {
        event.prevent_default();
        if let Some(on_close) = &on_close {
            on_close.emit(());
        }
    });
    Some((dialog, cancel))
}

/// The hotspot layer's options from the environment.
fn hotspot_options(env: &Env) -> Vec<(&'static str, Option<String>)> {
    let [cart, root] = ShopCart::options(env.cart.as_ref());
    vec![
        ("backend", Some(env.backend.clone())),
        ("locale", Some(env.locale.tag.clone())),
        ("videoId", env.video_id.clone()),
        ("video", env.video.clone()),
        cart,
        root,
    ]
}

/// Search's options from the environment.
fn search_options(env: &Env) -> Vec<(&'static str, Option<String>)> {
    let [cart, root] = ShopCart::options(env.cart.as_ref());
    vec![
        ("backend", Some(env.backend.clone())),
        ("stream", Some(env.stream.clone())),
        ("locale", Some(env.locale.tag.clone())),
        ("video", env.video.clone()),
        ("profile", env.search.clone()),
        cart,
        root,
    ]
}
