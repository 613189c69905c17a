//! One hook per side effect: the video's picture box, a clock tick, impressions, and the
//! throttled screen-reader announcements.
use std::cell::RefCell;
use std::rc::Rc;

use gloo_events::{EventListener, EventListenerOptions};
use gloo_timers::callback::{Interval, Timeout};
use live_shop_core::announce::Announcer;
use live_shop_core::geometry::{video_boxes, ObjectFit, Rect, VideoBoxes, VideoLayout};
use live_shop_core::view::{self, announcement, Card};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    Element, HtmlVideoElement, IntersectionObserver, IntersectionObserverEntry,
    IntersectionObserverInit,
};
use yew::prelude::*;

use crate::context::Env;
use crate::js;

/// Finds the video the overlay covers: the `video` selector in the page, else a `<video>` child
/// of the host.
pub fn find_video(host: &Element, selector: Option<&str>) -> Option<HtmlVideoElement> {
    let found = match selector.filter(|s| !s.trim().is_empty()) {
        // An invalid selector is an error from querySelector, not a panic.
        Some(selector) => web_sys::window()?
            .document()?
            .query_selector(selector)
            .ok()
            .flatten(),
        None => host.query_selector("video").ok().flatten(),
    }?;
    match found.dyn_into::<HtmlVideoElement>() {
        Ok(video) => Some(video),
        // The selector named a wrapper: use the video inside it.
        Err(other) => other
            .query_selector("video")
            .ok()
            .flatten()?
            .dyn_into()
            .ok(),
    }
}

fn measure(host: &Element, video: &HtmlVideoElement) -> Option<VideoBoxes> {
    let window = web_sys::window()?;
    let style = window.get_computed_style(video).ok().flatten()?;
    let px = |name: &str| {
        style
            .get_property_value(name)
            .ok()
            .and_then(|v| live_shop_core::json::parse_decimal(v.trim_end_matches("px")))
            .unwrap_or(0.0)
    };
    let side = |s: &str| px(&format!("border-{s}-width")) + px(&format!("padding-{s}"));
    let b = video.get_bounding_client_rect();
    let layout = VideoLayout {
        border_box: Rect::new(b.x(), b.y(), b.width(), b.height()),
        insets: [side("left"), side("top"), side("right"), side("bottom")],
        intrinsic: (
            f64::from(video.video_width()),
            f64::from(video.video_height()),
        ),
        fit: ObjectFit::parse(&style.get_property_value("object-fit").unwrap_or_default()),
        controls: video.controls(),
    };
    let h = host.get_bounding_client_rect();
    let origin = (
        h.x() + f64::from(host.client_left()),
        h.y() + f64::from(host.client_top()),
    );
    Some(video_boxes(&layout, origin))
}

/// The boxes, relative to the host, of the page's video: its visible picture and the whole
/// element. Kept up to date through resizes, metadata, scrolling and fullscreen. `None` without
/// a video.
#[hook]
pub fn use_video_boxes(host: Element, selector: Option<String>) -> Option<VideoBoxes> {
    let rect = use_state_eq(|| None::<VideoBoxes>);
    let setter = rect.setter();
    use_effect_with((host, selector), move |(host, selector)| {
        let mut guards: Vec<EventListener> = Vec::new();
        let mut observer = None;
        let mut interval = None;
        if let Some(video) = find_video(host, selector.as_deref()) {
            let update: Rc<dyn Fn()> = {
                let (host, video) = (host.clone(), video.clone());
                Rc::new(move || setter.set(measure(&host, &video)))
            };
            update();
            let on = |target: &web_sys::EventTarget, name: &'static str, capture: bool| {
                let update = update.clone();
                let options = if capture {
                    EventListenerOptions::run_in_capture_phase()
                } else {
                    EventListenerOptions::default()
                };
                EventListener::new_with_options(target, name, options, move |_| update())
            };
            guards.push(on(&video, "loadedmetadata", false));
            guards.push(on(&video, "resize", false));
            if let Some(window) = web_sys::window() {
                guards.push(on(&window, "resize", false));
                guards.push(on(&window, "scroll", true));
                if let Some(doc) = window.document() {
                    guards.push(on(&doc, "fullscreenchange", false));
                }
            }
            let resized = {
                let update = update.clone();
                Closure::<dyn FnMut()>::new(move || update())
            };
            if let Ok(obs) = web_sys::ResizeObserver::new(resized.as_ref().unchecked_ref()) {
                obs.observe(&video);
                obs.observe(host);
                observer = Some((obs, resized));
            }
            // Layout can move the video without resizing it; a cheap periodic check covers that.
            interval = Some(Interval::new(500, move || update()));
        }
        move || {
            drop(guards);
            drop(interval);
            if let Some((obs, _closure)) = observer {
                obs.disconnect();
            }
        }
    });
    *rect
}

/// The element to show full screen so that the overlay stays over the picture: the host when
/// the video is inside it, else the video's nearest ancestor that holds the host too. `None`
/// when only the whole page would (a full-screen `<video>` alone hides every overlay).
fn fullscreen_target(host: &Element, video: &HtmlVideoElement) -> Option<Element> {
    if host.contains(Some(video)) {
        return Some(host.clone());
    }
    let mut node = video.parent_element();
    while let Some(element) = node {
        if element.contains(Some(host)) {
            let page = matches!(element.tag_name().as_str(), "BODY" | "HTML");
            return (!page).then_some(element);
        }
        node = element.parent_element();
    }
    None
}

/// Full screen for the player and its overlay together.
#[derive(Clone, PartialEq)]
pub struct Fullscreen {
    /// What goes full screen; `None` without a video or where the browser offers no full screen.
    pub target: Option<Element>,
    /// Whether it is full screen now.
    pub active: bool,
}

/// The player's [`Fullscreen`], kept up to date whoever enters or leaves it (the page, the
/// browser's Esc, this widget). Looked up again whenever `rect` changes, so a video that
/// appears later gets its button.
#[hook]
pub fn use_fullscreen(host: Element, selector: Option<String>, rect: Option<Rect>) -> Fullscreen {
    let active = use_state_eq(|| false);
    let player = use_memo((host, selector, rect.is_some()), |(host, selector, _)| {
        let document = web_sys::window()?.document()?;
        if !document.fullscreen_enabled() {
            return None;
        }
        let video = find_video(host, selector.as_deref())?;
        Some((fullscreen_target(host, &video)?, video))
    });
    {
        let setter = active.setter();
        use_effect_with(player.clone(), move |player| {
            let document = web_sys::window().and_then(|w| w.document());
            let mut hidden = None;
            let listener = match (document, (**player).clone()) {
                (Some(document), Some((target, video))) => {
                    // While it is on, the video and any box the page wrapped it in fill the
                    // screen.
                    let filling = js::fill_while_full_screen(
                        &target,
                        &video,
                        view::FULLSCREEN_FILL,
                        view::FULLSCREEN_VIDEO,
                    );
                    // While the overlay offers its button, the browser's own (which would show
                    // the video without the overlay) is hidden where the browser allows that.
                    let list = video.get_attribute("controlslist");
                    let with = list.as_deref().unwrap_or_default();
                    if let Some(with) = view::with_token(with, view::NO_NATIVE_FULLSCREEN) {
                        let _ = video.set_attribute("controlslist", &with);
                        hidden = Some((video, list));
                    }
                    let update = {
                        let document = document.clone();
                        move || setter.set(document.fullscreen_element().as_ref() == Some(&target))
                    };
                    update();
                    let listener =
                        EventListener::new(&document, "fullscreenchange", move |_| update());
                    Some((listener, filling))
                }
                _ => None,
            };
            move || {
                if let Some((listener, filling)) = listener {
                    drop(listener);
                    let _ = filling.call0(&JsValue::NULL);
                }
                // Given back as the page had it when the overlay goes (or finds another video).
                if let Some((video, list)) = hidden {
                    let _ = match list {
                        Some(list) => video.set_attribute("controlslist", &list),
                        None => video.remove_attribute("controlslist"),
                    };
                }
            }
        });
    }
    Fullscreen {
        target: player.as_ref().as_ref().map(|(target, _)| target.clone()),
        active: *active,
    }
}

/// Re-renders every `ms` milliseconds; returns a counter.
#[hook]
pub fn use_tick(ms: u32) -> u32 {
    let tick = use_state(|| 0u32);
    {
        let tick = tick.clone();
        use_effect_with(ms, move |ms| {
            let interval = Interval::new(*ms, move || tick.set(tick.wrapping_add(1)));
            move || drop(interval)
        });
    }
    *tick
}

/// The covered video's media time in seconds, following its picture frame by frame.
#[hook]
pub fn use_video_time(env: Option<Env>) -> f64 {
    let time = use_state(|| 0.0f64);
    {
        let time = time.clone();
        let target = env.map(|e| (e.host.clone(), e.video.clone()));
        use_effect_with(target, move |target| {
            let video = target
                .as_ref()
                .and_then(|(host, selector)| find_video(host, selector.as_deref()));
            let stop = video.map(|video| {
                let on_time = Closure::<dyn Fn(f64)>::new(move |t: f64| {
                    // A new frame a few ms on moves hotspots by under a pixel; skip tiny steps.
                    if (t - *time).abs() >= 0.01 {
                        time.set(t);
                    }
                });
                let stop = js::watch_video_time(&video, on_time.as_ref().unchecked_ref());
                (stop, on_time)
            });
            move || {
                if let Some((stop, _closure)) = stop {
                    let _ = stop.call0(&wasm_bindgen::JsValue::NULL);
                }
            }
        });
    }
    *time
}

/// Dispatches `live-shop:impression` once per product after the node has been at least half
/// visible for one second.
#[hook]
pub fn use_impression(node: NodeRef, product_id: String, host: Option<Element>) {
    let seen = use_mut_ref(std::collections::HashSet::<String>::new);
    use_effect_with(product_id, move |product_id| {
        let timer: Rc<RefCell<Option<Timeout>>> = Rc::default();
        let watch =
            host.and_then(|host| observe_impressions(&node, product_id, host, seen, timer.clone()));
        move || {
            if let Some((observer, _callback)) = watch {
                observer.disconnect();
            }
            timer.borrow_mut().take();
        }
    });
}

type Watch = (IntersectionObserver, Closure<dyn FnMut(js_sys::Array)>);

fn observe_impressions(
    node: &NodeRef,
    product_id: &str,
    host: Element,
    seen: Rc<RefCell<std::collections::HashSet<String>>>,
    timer: Rc<RefCell<Option<Timeout>>>,
) -> Option<Watch> {
    let product_id = product_id.to_string();
    let callback = Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
        let visible = entries
            .iter()
            .filter_map(|e| e.dyn_into::<IntersectionObserverEntry>().ok())
            .any(|e| e.intersection_ratio() >= 0.5);
        if !visible {
            timer.borrow_mut().take();
            return;
        }
        if seen.borrow().contains(&product_id) || timer.borrow().is_some() {
            return;
        }
        let (seen, product_id, host) = (seen.clone(), product_id.clone(), host.clone());
        *timer.borrow_mut() = Some(Timeout::new(1_000, move || {
            seen.borrow_mut().insert(product_id.clone());
            let detail = js::object(&[("productId", product_id.as_str().into())]);
            js::dispatch_signal(&host, "live-shop:impression", &detail);
        }));
    });
    let init = IntersectionObserverInit::new();
    init.set_threshold(&wasm_bindgen::JsValue::from_f64(0.5));
    let observer =
        IntersectionObserver::new_with_options(callback.as_ref().unchecked_ref(), &init).ok()?;
    observer.observe(&node.cast::<Element>()?);
    Some((observer, callback))
}

/// The text of the polite live region: announcements about the pinned card, at most one every
/// two seconds, the newest winning.
#[hook]
pub fn use_announcements(card: Option<Card>, env: Env) -> String {
    let text = use_state_eq(String::new);
    let announcer = use_mut_ref(|| Announcer::new(2_000.0));
    let previous = use_mut_ref(|| None::<Card>);
    let flush = use_mut_ref(|| None::<Timeout>);
    let setter = text.setter();
    use_effect_with(card, move |card| {
        if let Some(card) = card {
            let before = previous.borrow().clone();
            let message = announcement(
                before.as_ref(),
                card,
                &env.locale,
                |o| env.price(o),
                |n| env.count(n),
            );
            // The first card after loading is not news.
            let message = message.filter(|_| before.is_some());
            if let Some(message) = message {
                let now = js_sys::Date::now();
                let ready = announcer.borrow_mut().push(now, message);
                let next_due = announcer.borrow().next_due();
                if let Some(ready) = ready {
                    setter.set(ready);
                } else if let Some(at) = next_due {
                    let (announcer, setter) = (announcer.clone(), setter.clone());
                    let wait = (at - now).max(0.0) as u32;
                    *flush.borrow_mut() = Some(Timeout::new(wait, move || {
                        if let Some(ready) = announcer.borrow_mut().due(js_sys::Date::now()) {
                            setter.set(ready);
                        }
                    }));
                }
            }
        }
        *previous.borrow_mut() = card.clone();
    });
    (*text).clone()
}
