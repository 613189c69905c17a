//! The collapsible product shelf, with upcoming shows and "add to calendar".
use gloo_events::EventListener;
use live_shop_core::i18n::{fill, Text};
use live_shop_core::protocol::{EventList, LiveEvent};
use live_shop_core::url::api_url;
use live_shop_core::view::Card;
use wasm_bindgen::JsValue;
use yew::prelude::*;

use super::DealCard;
use crate::context::Env;
use crate::{js, net};

/// Props of [`Shelf`].
#[derive(Properties, PartialEq, Clone)]
pub struct ShelfProps {
    /// The products.
    pub cards: Vec<Card>,
    /// The products open as a sheet over the page (a modal dialog) rather than a panel in the
    /// picture: for a picture too short to hold the list ([`live_shop_core::view::Layout::Short`]).
    #[prop_or_default]
    pub sheet: bool,
}

/// A toggle that opens the stream's products and upcoming shows.
#[component]
pub fn Shelf(props: &ShelfProps) -> Html {
    let open = use_state(|| false);
    let button = use_node_ref();
    let dialog = use_node_ref();
    // The upcoming shows load when the shelf first opens, and stay while the page does: closing
    // and opening again, or a panel turning into a sheet, shows them at once. A failed load is
    // tried again at the next opening; a backend without shows (404, 405, 501) has none.
    let events = use_state(|| Loadable::<Vec<LiveEvent>>::Idle);
    {
        let events = events.clone();
        let env = use_context::<Env>();
        use_effect_with(*open, move |&is_open| {
            if let (true, Some(env)) = (is_open, env) {
                if matches!(*events, Loadable::Idle | Loadable::Failed(_)) {
                    events.set(Loadable::Loading);
                    wasm_bindgen_futures::spawn_local(async move {
                        let url = api_url(&env.backend, "/v1/events");
                        let result = net::send("GET", &url, &[], None, 8_000)
                            .await
                            .and_then(net::Answer::ok)
                            .and_then(|a| js::decode::<EventList>(&a.body));
                        events.set(match result {
                            Ok(list) => Loadable::Ready(list.events),
                            // A backend without shows: no upcoming section, and no error.
                            Err(e) if e.is_unsupported() => Loadable::Ready(Vec::new()),
                            Err(e) => Loadable::Failed(e.user_message(env.locale.lang).to_string()),
                        });
                    });
                }
            }
        });
    }
    // The sheet is shown modal once it is in the document. It closes by its button, Escape or a
    // tap beside it, all through the dialog's `close` event; focus goes back to the toggle.
    {
        let (open, button, dialog) = (open.clone(), button.clone(), dialog.clone());
        use_effect_with((*open, props.sheet), move |&(is_open, sheet)| {
            let mut listener = None;
            if let (true, true, Some(element)) =
                (is_open, sheet, dialog.cast::<web_sys::HtmlDialogElement>())
            {
                if !element.open() {
                    // Refused only for a dialog outside the document; the toggle still closes it.
                    let _ = element.show_modal();
                }
                listener = Some(EventListener::new(&element, "close", move |_| {
                    open.set(false);
                    if let Some(button) = button.cast::<web_sys::HtmlElement>() {
                        let _ = button.focus();
                    }
                }));
            }
            move || drop(listener)
        });
    }
    let Some(env) = use_context::<Env>() else {
        return html! {};
    };
    let toggle = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(!*open))
    };
    let count = env.count(props.cards.len() as u32);
    let products = fill(env.text(Text::ShowShelf), "n", &count);
    let list = html! {
        <>
            <ul class="shelf-list">
                { for props.cards.iter().map(|card| html! {
                    <li key={card.product_id.clone()}><DealCard card={card.clone()} compact=true /></li>
                }) }
            </ul>
            <Upcoming events={(*events).clone()} nested={props.sheet} />
        </>
    };
    let sheet = props.sheet;
    let close = {
        let dialog = dialog.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(dialog) = dialog.cast::<web_sys::HtmlDialogElement>() {
                dialog.close();
            }
        })
    };
    // A tap on the sheet's backdrop lands on the dialog itself; its content covers the rest.
    let beside = {
        let dialog = dialog.clone();
        Callback::from(move |event: MouseEvent| {
            let on_backdrop = event
                .target()
                .zip(dialog.get())
                .is_some_and(|(target, element)| JsValue::from(target) == JsValue::from(element));
            if let (true, Some(dialog)) = (on_backdrop, dialog.cast::<web_sys::HtmlDialogElement>())
            {
                dialog.close();
            }
        })
    };
    let label = if *open && !sheet {
        env.text(Text::HideShelf).to_string()
    } else {
        products.clone()
    };
    html! {
        <div class="shelf">
            // Over a short picture: a bag and the count, named for screen readers.
            <button type="button" class={classes!("shelf-toggle", sheet.then_some("icon"))} ref={button}
                aria-label={sheet.then(|| fill(env.text(Text::ShelfCount), "n", &count))} aria-haspopup={sheet.then_some("dialog")}
                aria-expanded={open.to_string()} aria-controls="live-shop-shelf" onclick={toggle}>
                if sheet {
                    <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
                        <path fill="none" stroke="currentColor" stroke-width="1.6" stroke-linejoin="round"
                            d="M2.5 5h11l-1 9.5h-9zM5.5 5V4a2.5 2.5 0 0 1 5 0v1" />
                    </svg>
                    <span class="count" aria-hidden="true">{count}</span>
                } else {
                    {label}
                }
            </button>
            if *open && sheet {
                <dialog class="shelf-sheet" id="live-shop-shelf" ref={dialog}
                    aria-labelledby="live-shop-shelf-title" onclick={beside}>
                    <div class="sheet-head">
                        <h2 id="live-shop-shelf-title">{products}</h2>
                        <button type="button" class="close" onclick={close}>{env.text(Text::Close)}</button>
                    </div>
                    <div class="sheet-list">{list}</div>
                </dialog>
            } else if *open {
                <div class="shelf-panel" id="live-shop-shelf">{list}</div>
            }
        </div>
    }
}

/// Async results.
#[derive(Clone, Debug, PartialEq)]
enum Loadable<T> {
    Idle,
    Loading,
    Ready(T),
    Failed(String),
}

/// Props of [`Upcoming`].
#[derive(Properties, PartialEq, Clone)]
struct UpcomingProps {
    events: Loadable<Vec<LiveEvent>>,
    /// Inside the products sheet, under its own heading.
    nested: bool,
}

/// Upcoming shows with calendar links.
#[component]
fn Upcoming(props: &UpcomingProps) -> Html {
    let env = use_context::<Env>();
    let Some(env) = env else { return html! {} };
    let list = match &props.events {
        Loadable::Idle | Loadable::Loading => return html! {},
        Loadable::Failed(message) => {
            return html! { <p class="upcoming-error">{message.clone()}</p> }
        }
        Loadable::Ready(list) if list.is_empty() => return html! {},
        Loadable::Ready(list) => list,
    };
    let tag = env.locale.intl_tag();
    html! {
        <section class="upcoming" aria-label={env.text(Text::Upcoming)}>
            // A section of the overlay, or of the sheet when in it.
            <@{if props.nested { "h3" } else { "h2" }}>{env.text(Text::Upcoming)}</@>
            <ul>
                { for list.iter().map(|event| {
                    let ics = api_url(&env.backend, &format!("/v1/events/{}.ics", js_sys::encode_uri_component(&event.id)));
                    html! {
                        <li key={event.id.clone()}>
                            <span class="event-title" dir="auto">{event.title.clone()}</span>
                            <time>{js::format_date_time(&tag, event.starts_at as f64)}</time>
                            <a class="calendar" href={ics} download={format!("{}.ics", event.id)}>
                                {env.text(Text::AddToCalendar)}
                            </a>
                        </li>
                    }
                }) }
            </ul>
        </section>
    }
}
