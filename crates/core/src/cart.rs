//! The add-to-cart button: one press, one add, whatever the network does.
//!
//! Each add gets an idempotency key when it starts; a retry after a failure reuses it, so a
//! request that reached the server before the connection dropped is never counted twice.

use crate::json::{FromJson, JsonView};
use crate::protocol::Offer;

/// Where the page's answer, or the backend, left an add.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum CartButton {
    /// Ready.
    #[default]
    Idle,
    /// Waiting for the page or the backend.
    Pending {
        /// Key of this add.
        key: String,
    },
    /// Done; `message` is the page's own words, if it gave any.
    Added {
        /// Shown under the button.
        message: Option<String>,
    },
    /// Failed; pressing again retries with the same key.
    Failed {
        /// Key of the failed add.
        key: String,
        /// Shown under the button.
        message: String,
    },
    /// The cart refused the add as asked (a new price, sold out, the limit): the same request
    /// would be refused again, so pressing again is a new add, with a new key, at `offer` when
    /// the refusal gave the price that applies now.
    Refused {
        /// Shown under the button.
        message: String,
        /// The offer that applies now, to add at.
        offer: Option<Offer>,
    },
}

/// One add to run: dispatch the event, then fall back to the backend with this key.
#[derive(Clone, Debug, PartialEq)]
pub struct Attempt {
    /// Sent as `Idempotency-Key`.
    pub key: String,
    /// The offer to add at instead of the one shown: the price a refusal said applies now.
    pub offer: Option<Offer>,
}

impl CartButton {
    /// The shopper pressed the button. Returns the attempt to run, or `None` when one is
    /// already running or just finished (a double press adds nothing).
    pub fn press(&mut self, new_key: impl FnOnce() -> String) -> Option<Attempt> {
        let (key, offer) = match self {
            Self::Idle => (new_key(), None),
            Self::Failed { key, .. } => (key.clone(), None),
            Self::Refused { offer, .. } => (new_key(), offer.take()),
            Self::Pending { .. } | Self::Added { .. } => return None,
        };
        *self = Self::Pending { key: key.clone() };
        Some(Attempt { key, offer })
    }

    /// The attempt with `key` was refused as asked; `offer` is the price that applies now, when
    /// the backend said. Results of an attempt that is no longer current are ignored.
    pub fn refuse(&mut self, key: &str, message: String, offer: Option<Offer>) {
        if matches!(self, Self::Pending { key: k } if k == key) {
            *self = Self::Refused { message, offer };
        }
    }

    /// The attempt with `key` finished. Results of an attempt that is no longer current are
    /// ignored.
    pub fn finish(&mut self, key: &str, result: Result<Option<String>, String>) {
        if !matches!(self, Self::Pending { key: k } if k == key) {
            return;
        }
        *self = match result {
            Ok(message) => Self::Added { message },
            Err(message) => Self::Failed {
                key: key.to_string(),
                message,
            },
        };
    }

    /// The attempt with `key` was handed off elsewhere (the product page opened instead): the
    /// button is ready again.
    pub fn reset(&mut self, key: &str) {
        if matches!(self, Self::Pending { key: k } if k == key) {
            *self = Self::Idle;
        }
    }

    /// After "Added" has been shown for a while, the button is ready for another add.
    pub fn settle(&mut self) {
        if matches!(self, Self::Added { .. }) {
            *self = Self::Idle;
        }
    }

    /// Whether a request is in flight.
    pub fn is_pending(&self) -> bool {
        matches!(self, Self::Pending { .. })
    }
}

/// Makes an idempotency key from 128 random bits (from `crypto.getRandomValues` in the
/// browser). Formatted as a UUID v4 so servers that validate keys accept it.
pub fn idempotency_key(random: [u8; 16]) -> String {
    let mut b = random;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Why the backend refused an add the shopper can do nothing about by retrying the same
/// request: each is answered 409 with its code, and the shopper reads what happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The flash deal has no units left (`sold_out`).
    SoldOut,
    /// The price the shopper saw is not the price now (`price_changed`).
    PriceChanged,
    /// The cart holds as many of the deal as one shopper may buy (`limit_reached`).
    LimitReached,
}

impl Refusal {
    /// The error code on the wire.
    pub fn code(self) -> &'static str {
        match self {
            Self::SoldOut => "sold_out",
            Self::PriceChanged => "price_changed",
            Self::LimitReached => "limit_reached",
        }
    }

    /// The refusal a code names, if it names one.
    pub fn from_code(code: &str) -> Option<Self> {
        [Self::SoldOut, Self::PriceChanged, Self::LimitReached]
            .into_iter()
            .find(|r| r.code() == code)
    }
}

/// A cart's refusal read from its answer's body (`ErrorBody` with a refusal's code), with the
/// offer that applies now when the backend gave it (`offer`, since protocol 1.5).
pub fn refusal_of<J: JsonView>(body: &J) -> Option<(Refusal, Option<Offer>)> {
    let refusal = Refusal::from_code(&body.field("error")?.field("code")?.string()?)?;
    let offer = body.field("offer").and_then(|o| Offer::from_json(&o));
    Some((refusal, offer))
}

/// Whether the offer the shopper saw still holds: same currency, and a price within half a
/// minor unit of the live one (prices travel as decimals). No offer sent means the live price.
pub fn check_price(seen: Option<&Offer>, live: &Offer) -> Result<(), Refusal> {
    match seen {
        None => Ok(()),
        Some(seen)
            if seen.price_currency == live.price_currency
                && (seen.price.get() - live.price.get()).abs() < 0.005 =>
        {
            Ok(())
        }
        Some(_) => Err(Refusal::PriceChanged),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> impl FnMut() -> String {
        let mut n = 0;
        move || {
            n += 1;
            format!("k{n}")
        }
    }

    fn offer(price: f64, currency: &str) -> Offer {
        crate::json::decode(
            format!(r#"{{"price":{price},"priceCurrency":"{currency}","availability":"InStock"}}"#)
                .as_bytes(),
        )
        .unwrap()
    }

    #[test]
    fn a_stale_or_forged_price_is_refused() {
        let live = offer(19.99, "EUR");
        assert_eq!(check_price(None, &live), Ok(()));
        assert_eq!(check_price(Some(&offer(19.99, "EUR")), &live), Ok(()));
        assert_eq!(
            check_price(Some(&offer(0.01, "EUR")), &live),
            Err(Refusal::PriceChanged)
        );
        assert_eq!(
            check_price(Some(&offer(24.99, "EUR")), &live),
            Err(Refusal::PriceChanged),
            "a higher price seen is stale too: the shopper must see what they pay"
        );
        assert_eq!(
            check_price(Some(&offer(19.99, "USD")), &live),
            Err(Refusal::PriceChanged)
        );
    }

    #[test]
    fn refusals_read_back_from_their_codes() {
        for r in [
            Refusal::SoldOut,
            Refusal::PriceChanged,
            Refusal::LimitReached,
        ] {
            assert_eq!(Refusal::from_code(r.code()), Some(r));
        }
        assert_eq!(Refusal::from_code("not_found"), None);
    }

    #[test]
    fn a_double_press_adds_once() {
        let mut next = keys();
        let mut button = CartButton::default();
        assert_eq!(
            button.press(&mut next),
            Some(Attempt {
                key: "k1".into(),
                offer: None
            })
        );
        assert_eq!(button.press(&mut next), None);
        button.finish("k1", Ok(None));
        assert_eq!(button.press(&mut next), None);
        button.settle();
        assert_eq!(
            button.press(&mut next),
            Some(Attempt {
                key: "k2".into(),
                offer: None
            })
        );
    }

    #[test]
    fn a_retry_reuses_the_key() {
        let mut next = keys();
        let mut button = CartButton::default();
        let first = button.press(&mut next).unwrap();
        button.finish(&first.key, Err("offline".into()));
        assert!(matches!(button, CartButton::Failed { .. }));
        let retry = button.press(&mut next).unwrap();
        assert_eq!(retry.key, first.key);
        button.finish(&retry.key, Ok(Some("In your bag".into())));
        assert_eq!(
            button,
            CartButton::Added {
                message: Some("In your bag".into())
            }
        );
    }

    #[test]
    fn a_refusal_is_a_new_add_at_the_new_price_not_the_same_request_again() {
        let mut next = keys();
        let mut button = CartButton::default();
        let first = button.press(&mut next).unwrap();
        assert_eq!(first.offer, None);
        button.refuse(
            &first.key,
            "The price changed: now €12.00.".into(),
            Some(offer(12.0, "EUR")),
        );
        let again = button.press(&mut next).unwrap();
        assert_ne!(
            again.key, first.key,
            "the same key would replay the refusal"
        );
        assert_eq!(again.offer, Some(offer(12.0, "EUR")));
        button.finish(&again.key, Ok(None));
        assert_eq!(button, CartButton::Added { message: None });
        // A refusal without a new price (sold out) is still a new add when pressed again.
        button.settle();
        let third = button.press(&mut next).unwrap();
        button.refuse(&third.key, "Sold out".into(), None);
        let fourth = button.press(&mut next).unwrap();
        assert_ne!(fourth.key, third.key);
        assert_eq!(fourth.offer, None);
    }

    #[test]
    fn a_refusal_and_the_price_that_applies_now_read_from_the_answer() {
        let body: serde_json::Value = serde_json::from_str(
            r#"{"error":{"code":"price_changed","message":"the price is now 12 EUR"},
                "offer":{"price":"12.00","priceCurrency":"EUR","availability":"InStock"}}"#,
        )
        .unwrap();
        assert_eq!(
            refusal_of(&body),
            Some((Refusal::PriceChanged, Some(offer(12.0, "EUR"))))
        );
        let sold_out: serde_json::Value =
            serde_json::from_str(r#"{"error":{"code":"sold_out","message":"gone"}}"#).unwrap();
        assert_eq!(refusal_of(&sold_out), Some((Refusal::SoldOut, None)));
        let other: serde_json::Value =
            serde_json::from_str(r#"{"error":{"code":"not_found","message":"?"}}"#).unwrap();
        assert_eq!(refusal_of(&other), None);
        assert_eq!(refusal_of(&serde_json::Value::Null), None);
    }

    #[test]
    fn a_hand_off_makes_the_button_ready_again() {
        let mut button = CartButton::default();
        button.press(|| "a".into());
        button.reset("b");
        assert!(button.is_pending());
        button.reset("a");
        assert_eq!(button, CartButton::Idle);
    }

    #[test]
    fn a_stale_result_is_ignored() {
        let mut button = CartButton::default();
        button.press(|| "a".into());
        button.finish("zzz", Ok(None));
        assert!(button.is_pending());
    }

    #[test]
    fn keys_look_like_uuid_v4() {
        let key = idempotency_key([0xff; 16]);
        assert_eq!(key, "ffffffff-ffff-4fff-bfff-ffffffffffff");
        assert_ne!(idempotency_key([1; 16]), idempotency_key([2; 16]));
    }
}
