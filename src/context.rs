//! The widget's environment, shared by context: backend, locale, host element, server clock.
use std::cell::RefCell;
use std::rc::Rc;

use live_shop_core::adapter::ShopCart;
use live_shop_core::clock::ServerClock;
use live_shop_core::i18n::{Locale, Localized};
use live_shop_core::protocol::{Millis, Offer};

use crate::js;

/// The device's estimate of server time, shared by every part of one widget.
#[derive(Clone, Debug, Default)]
pub struct SharedClock(pub Rc<RefCell<ServerClock>>);

impl PartialEq for SharedClock {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl SharedClock {
    /// Server time now.
    pub fn now(&self) -> Millis {
        self.0.borrow().now(js_sys::Date::now())
    }
}

/// What every component of one widget instance knows.
#[derive(Clone, Debug, PartialEq)]
pub struct Env {
    /// Backend base URL.
    pub backend: String,
    /// Stream id.
    pub stream: String,
    /// Shopper's locale.
    pub locale: Locale,
    /// The element DOM events are dispatched on.
    pub host: web_sys::Element,
    /// Server time.
    pub clock: SharedClock,
    /// CSS selector of the page's video, if the page named one.
    pub video: Option<String>,
    /// Visual search's pipeline profile, empty for the backend's choice; `None` when the page
    /// turned search off.
    pub search: Option<String>,
    /// The video's id, whose hotspot manifest the overlay shows.
    pub video_id: Option<String>,
    /// The shop's own cart (`cart="shopify"`), which takes adds the page leaves unanswered.
    pub cart: Option<ShopCart>,
}

impl Env {
    /// A translated string.
    pub fn text(&self, text: impl Localized) -> &'static str {
        self.locale.text(text)
    }

    /// An offer's price, formatted by `Intl.NumberFormat` for the locale.
    pub fn price(&self, offer: &Offer) -> String {
        self.money(offer.price.get(), offer.price_currency.as_str())
    }

    /// An amount in a currency.
    pub fn money(&self, amount: f64, currency: &str) -> String {
        js::format_number(&self.locale.intl_tag(), amount, Some(currency.to_string()))
    }

    /// A whole number in the locale's digits.
    pub fn count(&self, n: u32) -> String {
        js::format_number(&self.locale.intl_tag(), f64::from(n), None)
    }

    /// Server time now.
    pub fn now(&self) -> Millis {
        self.clock.now()
    }
}
