//! Add to cart: pending, added, failed with retry, refused with the price now; one press is one
//! add.
use gloo_timers::callback::Timeout;
use live_shop_core::cart::CartButton as Machine;
use live_shop_core::i18n::Text;
use live_shop_core::view::Card;
use yew::prelude::*;

use crate::bridge::{add_to_cart, new_key, CartResult};
use crate::context::Env;

/// Props of [`CartButton`].
#[derive(Properties, PartialEq, Clone)]
pub struct CartButtonProps {
    /// The product and offer to add.
    pub card: Card,
}

/// The add-to-cart button.
#[component]
pub fn CartButton(props: &CartButtonProps) -> Html {
    let env = use_context::<Env>();
    let machine = use_mut_ref(Machine::default);
    let settle = use_mut_ref(|| None::<Timeout>);
    let redraw = use_force_update();
    let Some(env) = env else { return html! {} };
    if !props.card.can_buy() {
        return html! {
            <button type="button" class="buy" disabled=true>{env.text(Text::SoldOut)}</button>
        };
    }
    let onclick = {
        let (machine, settle, redraw) = (machine.clone(), settle.clone(), redraw.clone());
        let (env, card) = (env.clone(), props.card.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(attempt) = machine.borrow_mut().press(new_key) else {
                return;
            };
            redraw.force_update();
            let (machine, settle, redraw) = (machine.clone(), settle.clone(), redraw.clone());
            let env = env.clone();
            // After a refusal that named the price now, the add is at that price.
            let mut card = card.clone();
            if let Some(offer) = attempt.offer.clone() {
                card.offer = offer;
            }
            wasm_bindgen_futures::spawn_local(async move {
                let result = add_to_cart(&env, &card, 1, &attempt.key).await;
                match result {
                    CartResult::Added(message) => {
                        machine.borrow_mut().finish(&attempt.key, Ok(message));
                        let (machine, redraw) = (machine.clone(), redraw.clone());
                        *settle.borrow_mut() = Some(Timeout::new(4_000, move || {
                            machine.borrow_mut().settle();
                            redraw.force_update();
                        }));
                    }
                    CartResult::OpenedProduct => machine.borrow_mut().reset(&attempt.key),
                    CartResult::Failed(message) => {
                        machine.borrow_mut().finish(&attempt.key, Err(message))
                    }
                    CartResult::Refused(message, now) => {
                        machine.borrow_mut().refuse(&attempt.key, message, now)
                    }
                }
                redraw.force_update();
            });
        })
    };
    let state = machine.borrow().clone();
    let (label, class, note) = match &state {
        Machine::Idle => (env.text(Text::AddToCart).to_string(), "idle", None),
        Machine::Pending { .. } => (env.text(Text::Adding).to_string(), "pending", None),
        Machine::Added { message } => (env.text(Text::Added).to_string(), "added", message.clone()),
        Machine::Failed { message, .. } => (
            env.text(Text::AddFailed).to_string(),
            "failed",
            Some(message.clone()),
        ),
        // A new price: the button adds at it.
        Machine::Refused {
            message,
            offer: Some(offer),
        } => (
            env.text(Text::AddAtPrice)
                .replace("{price}", &env.price(offer)),
            "refused",
            Some(message.clone()),
        ),
        Machine::Refused { message, .. } => (
            env.text(Text::AddToCart).to_string(),
            "refused",
            Some(message.clone()),
        ),
    };
    html! {
        <>
            <button type="button" class={classes!("buy", class)} {onclick}
                aria-busy={state.is_pending().then_some("true")}>
                {label}
            </button>
            // The page's or the shop's own words, in their own direction.
            <span class={classes!("cart-note", class)} role="status" dir="auto">{note.unwrap_or_default()}</span>
        </>
    }
}
