//! The collapsible product shelf, with upcoming shows and "add to calendar".
use live_shop_core::i18n::{fill, Text};
use live_shop_core::protocol::{EventList, LiveEvent};
use live_shop_core::url::api_url;
use live_shop_core::view::Card;
use yew::prelude::*;

use super::DealCard;
use crate::context::Env;
use crate::{js, net};

/// Props of [`Shelf`].
#[derive(Properties, PartialEq, Clone)]
pub struct ShelfProps {
    /// The products.
    pub cards: Vec<Card>,
}

/// A toggle that opens the stream's products and upcoming shows.
#[component]
pub fn Shelf(props: &ShelfProps) -> Html {
    let open = use_state(|| false);
    let Some(env) = use_context::<Env>() else {
        return html! {};
    };
    let toggle = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(!*open))
    };
    let label = if *open {
        env.text(Text::HideShelf).to_string()
    } else {
        fill(
            env.text(Text::ShowShelf),
            "n",
            &env.count(props.cards.len() as u32),
        )
    };
    html! {
        <div class="shelf">
            <button type="button" class="shelf-toggle" aria-expanded={open.to_string()}
                aria-controls="live-shop-shelf" onclick={toggle}>
                {label}
            </button>
            if *open {
                <div class="shelf-panel" id="live-shop-shelf">
                    <ul class="shelf-list">
                        { for props.cards.iter().map(|card| html! {
                            <li key={card.product_id.clone()}><DealCard card={card.clone()} compact=true /></li>
                        }) }
                    </ul>
                    <Upcoming />
                </div>
            }
        </div>
    }
}

/// Async results.
#[derive(Clone, Debug, PartialEq)]
enum Loadable<T> {
    Loading,
    Ready(T),
    Failed(String),
}

/// Upcoming shows with calendar links; loaded when the shelf first opens.
#[component]
pub fn Upcoming() -> Html {
    let env = use_context::<Env>();
    let events = use_state(|| Loadable::<Vec<LiveEvent>>::Loading);
    {
        let events = events.clone();
        let env = env.clone();
        use_effect_with((), move |_| {
            if let Some(env) = env {
                wasm_bindgen_futures::spawn_local(async move {
                    let url = api_url(&env.backend, "/v1/events");
                    let result = net::send("GET", &url, &[], None, 8_000)
                        .await
                        .and_then(net::Answer::ok)
                        .and_then(|a| js::decode::<EventList>(&a.body));
                    events.set(match result {
                        Ok(list) => Loadable::Ready(list.events),
                        Err(e) => Loadable::Failed(e.user_message(env.locale.lang).to_string()),
                    });
                });
            }
        });
    }
    let Some(env) = env else { return html! {} };
    let list = match &*events {
        Loadable::Loading => return html! {},
        Loadable::Failed(message) => {
            return html! { <p class="upcoming-error">{message.clone()}</p> }
        }
        Loadable::Ready(list) if list.is_empty() => return html! {},
        Loadable::Ready(list) => list,
    };
    let tag = env.locale.intl_tag();
    html! {
        <section class="upcoming" aria-label={env.text(Text::Upcoming)}>
            <h3>{env.text(Text::Upcoming)}</h3>
            <ul>
                { for list.iter().map(|event| {
                    let ics = api_url(&env.backend, &format!("/v1/events/{}.ics", js_sys::encode_uri_component(&event.id)));
                    html! {
                        <li key={event.id.clone()}>
                            <span class="event-title">{event.title.clone()}</span>
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
