//! A product card: photo, brand, title, deal price against the struck original, percent off,
//! countdown, stock, and the cart button.
use live_shop_core::clock::{clock_text, Countdown, Phase};
use live_shop_core::geometry::css_number;
use live_shop_core::i18n::{fill, ltr_isolate, Text};
use live_shop_core::view::{Card, DealTimes, Stock};
use yew::prelude::*;

use super::CartButton;
use crate::context::Env;
use crate::hooks::{use_impression, use_tick};
use crate::js;

/// Props of [`DealCard`].
#[derive(Properties, PartialEq, Clone)]
pub struct DealCardProps {
    /// What to show.
    pub card: Card,
    /// The small shelf version.
    #[prop_or_default]
    pub compact: bool,
}

/// One product with its offer.
#[component]
pub fn DealCard(props: &DealCardProps) -> Html {
    let env = use_context::<Env>();
    let node = use_node_ref();
    let host = env.as_ref().map(|e| e.host.clone());
    use_impression(node.clone(), props.card.product_id.clone(), host);
    let Some(env) = env else { return html! {} };
    let card = &props.card;
    let currency = card.offer.price_currency.as_str();
    let price = env.price(&card.offer);
    let original = card
        .offer
        .original_price
        .filter(|o| o.get() > card.offer.price.get())
        .map(|o| env.money(o.get(), currency));
    let on_link = {
        let (host, id) = (env.host.clone(), card.product_id.clone());
        Callback::from(move |_: MouseEvent| {
            let detail = js::object(&[
                ("productId", id.as_str().into()),
                ("target", "product-page".into()),
            ]);
            js::dispatch_signal(&host, "live-shop:click", &detail);
        })
    };
    let class = classes!(
        "card",
        props.compact.then_some("compact"),
        (!card.can_buy()).then_some("sold-out")
    );
    html! {
        <article {class} ref={node} aria-label={card.title.clone()}>
            if let Some(src) = card.image.clone() {
                <img class="photo" {src} alt="" loading="lazy" decoding="async" />
            } else {
                <div class="photo placeholder" aria-hidden="true"></div>
            }
            <div class="info">
                if let Some(brand) = card.brand.clone() {
                    <p class="brand" dir="auto">{brand}</p>
                }
                // The shop's words take their own direction: a Latin title in an Arabic card
                // reads (and is cut) left to right, and an Arabic one in English right to left.
                <p class="title" dir="auto">{card.title.clone()}</p>
                <p class="prices">
                    <span class="price">{price}</span>
                    if let Some(original) = original {
                        <s class="original" aria-hidden="true">{original.clone()}</s>
                        <span class="sr-only">{fill(env.text(Text::WasPrice), "price", &original)}</span>
                    }
                    if let Some(pct) = card.percent_off {
                        <span class="off">{fill(env.text(Text::PercentOff), "n", &env.count(u32::from(pct)))}</span>
                    }
                </p>
                if let Some(deal) = card.deal.clone() {
                    <DealClock {deal} />
                }
                <StockLine stock={card.stock} bar={card.stock_bar} />
                <div class="actions">
                    <CartButton card={card.clone()} />
                    if let Some(href) = card.url.clone() {
                        <a class="link" {href} target="_blank" rel="noopener noreferrer" onclick={on_link}>
                            {env.text(Text::ViewProduct)}
                        </a>
                    }
                </div>
            </div>
        </article>
    }
}

/// Props of [`DealClock`].
#[derive(Properties, PartialEq, Clone)]
pub struct DealClockProps {
    /// The deal's times.
    pub deal: DealTimes,
}

/// "Starts in 0:08" / "Ends in 0:25" / "Deal ended", on server time, never running backwards.
#[component]
pub fn DealClock(props: &DealClockProps) -> Html {
    let env = use_context::<Env>();
    let countdown = use_mut_ref(Countdown::default);
    use_tick(250);
    let Some(env) = env else { return html! {} };
    let deal = &props.deal;
    let phase = if deal.ended_early {
        Phase::Ended
    } else {
        countdown
            .borrow_mut()
            .tick(&deal.id, deal.starts_at, deal.ends_at, env.now())
    };
    let digits = env.locale.digits();
    let (text, class) = match phase {
        Phase::StartsIn(s) => (
            fill(
                env.text(Text::StartsIn),
                "time",
                &ltr_isolate(&digits.apply(&clock_text(s))),
            ),
            "starts",
        ),
        Phase::EndsIn(s) => (
            fill(
                env.text(Text::EndsIn),
                "time",
                &ltr_isolate(&digits.apply(&clock_text(s))),
            ),
            "ends",
        ),
        Phase::Ended => (env.text(Text::DealEnded).to_string(), "ended"),
    };
    html! {
        <p class={classes!("countdown", class)}>
            <span class="flash">{env.text(Text::FlashDeal)}</span>
            <span class="time" role="timer" aria-live="off">{text}</span>
        </p>
    }
}

/// Props of [`StockLine`].
#[derive(Properties, PartialEq, Clone)]
pub struct StockLineProps {
    /// Stock.
    pub stock: Stock,
    /// Fraction of the bar to fill.
    #[prop_or_default]
    pub bar: Option<f64>,
}

/// "12 left" with a bar, "Sold out", or nothing when plenty remain.
#[component]
pub fn StockLine(props: &StockLineProps) -> Html {
    let Some(env) = use_context::<Env>() else {
        return html! {};
    };
    let Some(text) = props.stock.text(&env.locale, |n| env.count(n)) else {
        return html! {};
    };
    html! {
        <div class={classes!("stock", (props.stock == Stock::SoldOut).then_some("none"))}>
            if let Some(fill) = props.bar {
                <div class="bar" aria-hidden="true">
                    <span ~style={format!("inline-size:{}%", css_number(fill * 100.0))}></span>
                </div>
            }
            <span class="left">{text}</span>
        </div>
    }
}
