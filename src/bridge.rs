//! The cart bridge: the page decides how to add to cart by answering `live-shop:add-to-cart`;
//! unanswered, the shop's own cart takes the add when the page named one (`cart="shopify"`),
//! else the backend's reference cart; without one, the product page opens.
use gloo_timers::future::TimeoutFuture;
use live_shop_core::adapter::{CartStep, ShopCart, NONCE_HEADER};
use live_shop_core::cart::refusal_of;
use live_shop_core::error::BackendError;
use live_shop_core::i18n::Text;
use live_shop_core::protocol::{CartItemRequest, Offer, CART_TOKEN_HEADER};
use live_shop_core::url::api_url;
use live_shop_core::view::Card;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::context::Env;
use crate::{js, net};

/// How an add ended.
#[derive(Debug, PartialEq)]
pub enum CartResult {
    /// In the cart; the page's own words, if any.
    Added(Option<String>),
    /// No cart anywhere: the product page opened instead.
    OpenedProduct,
    /// Failed; the shopper's message. Pressing again retries the same add.
    Failed(String),
    /// The cart refused the add as asked; the shopper's message, and the offer that applies
    /// now when the backend gave it. Pressing again is a new add.
    Refused(String, Option<Offer>),
}

/// Runs one add: the page first, then the shop's or the backend's cart, then the product page.
pub async fn add_to_cart(env: &Env, card: &Card, quantity: u32, key: &str) -> CartResult {
    let product = js::object(&[
        ("id", card.product_id.as_str().into()),
        ("title", card.title.as_str().into()),
        ("brand", js::opt_str(card.brand.as_deref())),
        ("url", js::opt_str(card.url.as_deref())),
        ("image", js::opt_str(card.image.as_deref())),
        ("variantId", js::opt_str(card.variant_id.as_deref())),
    ]);
    let detail = js::object(&[
        ("product", product),
        ("offer", offer_object(&card.offer)),
        ("quantity", quantity.into()),
        ("idempotencyKey", key.into()),
        ("stream", env.stream.as_str().into()),
    ]);
    let answer = js::dispatch_add_to_cart(&env.host, &detail);
    if let Ok(promise) = answer.dyn_into::<js_sys::Promise>() {
        return match JsFuture::from(promise).await {
            Ok(value) => CartResult::Added(message_of(&value)),
            Err(reason) => CartResult::Failed(
                message_of(&reason).unwrap_or_else(|| env.text(Text::ErrorGeneric).to_string()),
            ),
        };
    }
    if let Some(cart) = &env.cart {
        return match &card.variant_id {
            Some(variant) => shop_add(env, cart, card, variant, quantity).await,
            // The shopper chooses a size or colour on the product page first.
            None => open_product(card)
                .unwrap_or_else(|| CartResult::Failed(env.text(Text::ErrorGeneric).into())),
        };
    }
    match backend_add(env, card, quantity, key).await {
        Ok(()) => CartResult::Added(None),
        Err((e, _)) if e.is_unsupported() => open_product(card)
            .unwrap_or_else(|| CartResult::Failed(e.user_message(env.locale.lang).to_string())),
        Err((e @ BackendError::Refused(_), now)) => {
            let message = match &now {
                Some(offer) => env
                    .text(Text::PriceNow)
                    .replace("{price}", &env.price(offer)),
                None => e.user_message(env.locale.lang).to_string(),
            };
            CartResult::Refused(message, now)
        }
        Err((e, _)) => CartResult::Failed(e.user_message(env.locale.lang).to_string()),
    }
}

/// Opens the product's page in a new tab; `None` when it has none.
fn open_product(card: &Card) -> Option<CartResult> {
    let url = card.url.as_ref()?;
    if let Some(window) = web_sys::window() {
        let _ = window.open_with_url_and_target_and_features(url, "_blank", "noopener");
    }
    Some(CartResult::OpenedProduct)
}

/// Adds to the shop's own cart on the page's origin, with the shopper's session. A shop's cart
/// takes no idempotency key, so a failed add is never retried unasked: the shopper's next press
/// is the retry. On success the element announces `live-shop:cart-updated`, for the page to
/// refresh its own cart count.
async fn shop_add(
    env: &Env,
    cart: &ShopCart,
    card: &Card,
    variant: &str,
    quantity: u32,
) -> CartResult {
    let failed = |e: BackendError| CartResult::Failed(e.user_message(env.locale.lang).to_string());
    let mut call = cart.start(variant, quantity);
    if !cart.is_add(&call) {
        let nonce = match net::send(call.method, &call.url, &[], None, 10_000)
            .await
            .and_then(net::Answer::ok)
        {
            Ok(answer) => answer.headers.get(NONCE_HEADER).ok().flatten(),
            Err(e) => return failed(e),
        };
        call = cart.add(nonce.as_deref(), variant, quantity);
    }
    let headers: Vec<(&str, &str)> = call.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let answer = match net::send(
        call.method,
        &call.url,
        &headers,
        call.body.as_deref(),
        10_000,
    )
    .await
    {
        Ok(answer) => answer,
        Err(e) => return failed(e),
    };
    let body = js_sys::JSON::parse(&answer.body).ok().map(js::Js);
    match cart.outcome(answer.status, body.as_ref()) {
        CartStep::Added => {
            let detail = js::object(&[
                ("productId", card.product_id.as_str().into()),
                ("variantId", variant.into()),
                ("quantity", quantity.into()),
            ]);
            js::dispatch_signal(&env.host, "live-shop:cart-updated", &detail);
            CartResult::Added(None)
        }
        CartStep::Refused(message) => CartResult::Failed(
            message
                .map(|html| live_shop_core::protocol::clean_text(&js::html_text(&html)))
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| env.text(Text::ErrorGeneric).into()),
        ),
        CartStep::Failed => failed(BackendError::Http {
            status: answer.status,
        }),
    }
}

/// An offer as the page sees it, with schema.org names.
fn offer_object(offer: &Offer) -> JsValue {
    js::object(&[
        ("price", offer.price.get().into()),
        ("priceCurrency", offer.price_currency.as_str().into()),
        (
            "originalPrice",
            offer
                .original_price
                .map_or(JsValue::UNDEFINED, |p| p.get().into()),
        ),
        ("availability", offer.availability.as_str().into()),
        (
            "inventoryLevel",
            offer
                .inventory_level
                .map_or(JsValue::UNDEFINED, JsValue::from),
        ),
    ])
}

/// The page's answer may be a string or an object with `message`.
fn message_of(value: &JsValue) -> Option<String> {
    value
        .as_string()
        .or_else(|| {
            js_sys::Reflect::get(value, &JsValue::from_str("message"))
                .ok()?
                .as_string()
        })
        .map(|m| live_shop_core::protocol::clean_text(&m))
        .filter(|m| !m.is_empty())
}

/// Posts to the backend's cart; one retry after a transient failure, with the same key so the
/// server counts it once. The page session's cart goes with it (`Cart-Token`), and a refusal
/// the shopper must read (sold out, a new price, the limit per shopper) is told as such, with
/// the offer that applies now when the backend gave it.
async fn backend_add(
    env: &Env,
    card: &Card,
    quantity: u32,
    key: &str,
) -> Result<(), (BackendError, Option<Offer>)> {
    let body = CartItemRequest {
        product_id: card.product_id.clone(),
        quantity,
        offer: Some(card.offer.clone()),
    }
    .to_json();
    let url = api_url(&env.backend, "/v1/cart/items");
    let token = cart_token(&env.backend);
    let mut headers = vec![("idempotency-key", key)];
    if let Some(token) = &token {
        headers.push((CART_TOKEN_HEADER, token));
    }
    let mut last = BackendError::Timeout;
    for attempt in 0..2 {
        if attempt > 0 {
            TimeoutFuture::new(600).await;
        }
        match net::send("POST", &url, &headers, Some(&body), 10_000).await {
            Ok(answer) if (200..300).contains(&answer.status) => {
                if let Some(token) = js::field(&json(&answer.body), "cartToken").as_string() {
                    keep_cart_token(&env.backend, &token);
                }
                return Ok(());
            }
            Ok(answer) => {
                if let Some((refusal, now)) = refusal_of(&js::Js(json(&answer.body))) {
                    return Err((BackendError::Refused(refusal), now));
                }
                let e = BackendError::Http {
                    status: answer.status,
                };
                if !e.is_retryable() {
                    return Err((e, None));
                }
                last = e;
            }
            Err(e) if e.is_retryable() => last = e,
            Err(e) => return Err((e, None)),
        }
    }
    Err((last, None))
}

/// A JSON body as a JS value; `undefined` when it is not JSON.
fn json(body: &str) -> JsValue {
    js_sys::JSON::parse(body).unwrap_or(JsValue::UNDEFINED)
}

/// Where the page keeps this session's cart token at `backend`: a property of the page's
/// global object named by the backend's address, so every overlay and part module of the page
/// adds to the same cart, and never in storage.
fn cart_slot(backend: &str) -> JsValue {
    JsValue::from_str(backend)
}

/// This page session's cart token at `backend`, if an add got one.
fn cart_token(backend: &str) -> Option<String> {
    js_sys::Reflect::get(&js_sys::global(), &cart_slot(backend))
        .ok()?
        .as_string()
}

fn keep_cart_token(backend: &str, token: &str) {
    let _ = js_sys::Reflect::set(&js_sys::global(), &cart_slot(backend), &token.into());
}

/// 128 random bits from `crypto.getRandomValues`, as an idempotency key.
pub fn new_key() -> String {
    let mut bytes = [0u8; 16];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !filled {
        for b in &mut bytes {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    live_shop_core::cart::idempotency_key(bytes)
}
