//! What the overlay shows, derived from the show: cards with resolved links, effective prices,
//! stock lines and deal times. Components only format numbers and lay these out.
use crate::deal::{is_running, Show};
use crate::geometry::Rect;
use crate::i18n::{fill, Locale, Text};
use crate::protocol::{Availability, DealStatus, EndReason, Millis, Offer, Product};
use crate::url::safe_http_url;

/// Stock as a shopper reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stock {
    /// A known count, shown as "12 left" when low.
    Left(u32),
    /// Few left, count unknown.
    Limited,
    /// None left.
    SoldOut,
    /// Orderable before release.
    PreOrder,
    /// Plenty, or nothing said.
    InStock,
}

/// Counts at or below this are shown; above it the card only says it can be bought.
pub const LOW_STOCK: u32 = 50;

impl Stock {
    /// Stock of an offer; a flash deal (`counted`) always shows its count, a shelf offer only
    /// when it is low.
    fn of(offer: &Offer, counted: bool) -> Self {
        match (offer.availability, offer.inventory_level) {
            (Availability::SoldOut, _) | (_, Some(0)) => Self::SoldOut,
            (Availability::PreOrder, _) => Self::PreOrder,
            (_, Some(n)) if counted || n <= LOW_STOCK => Self::Left(n),
            (Availability::LimitedAvailability, _) => Self::Limited,
            _ => Self::InStock,
        }
    }

    /// Fraction of the stock bar to fill, when there is a count to show against `limit`.
    pub fn bar(self, limit: Option<u32>) -> Option<f64> {
        match (self, limit) {
            (Self::Left(n), Some(limit)) if limit > 0 => {
                Some((f64::from(n) / f64::from(limit)).min(1.0))
            }
            (Self::SoldOut, Some(_)) => Some(0.0),
            _ => None,
        }
    }

    /// The stock line, with `count` formatting numbers for the locale.
    pub fn text(self, locale: &Locale, count: impl Fn(u32) -> String) -> Option<String> {
        match self {
            Self::Left(n) => Some(fill(locale.text(Text::Left), "n", &count(n))),
            Self::Limited => Some(locale.text(Text::Limited).to_string()),
            Self::SoldOut => Some(locale.text(Text::SoldOut).to_string()),
            Self::PreOrder => Some(locale.text(Text::PreOrder).to_string()),
            Self::InStock => None,
        }
    }
}

/// A flash deal's times, for the countdown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DealTimes {
    /// Deal id (keys the countdown).
    pub id: String,
    /// Start, server clock.
    pub starts_at: Millis,
    /// End, server clock.
    pub ends_at: Millis,
    /// Whether it ended early (sold out, cancelled).
    pub ended_early: bool,
}

/// One product as the overlay draws it.
#[derive(Clone, Debug, PartialEq)]
pub struct Card {
    /// Product id.
    pub product_id: String,
    /// Title, plain text.
    pub title: String,
    /// Brand, plain text.
    pub brand: Option<String>,
    /// A safe `http(s)` photo URL.
    pub image: Option<String>,
    /// A safe `http(s)` product page.
    pub url: Option<String>,
    /// The shop's id for its own cart ([`Product::variant_id`]).
    pub variant_id: Option<String>,
    /// The offer to show now: a running deal's, else the product's.
    pub offer: Offer,
    /// Percent off the struck price.
    pub percent_off: Option<u8>,
    /// Stock line.
    pub stock: Stock,
    /// Stock bar fraction for a running deal with a stock limit.
    pub stock_bar: Option<f64>,
    /// The deal to count down to, if any.
    pub deal: Option<DealTimes>,
}

impl Card {
    /// Whether add-to-cart is offered.
    pub fn can_buy(&self) -> bool {
        self.stock != Stock::SoldOut
    }

    /// Builds the card for `product` at server time `now`; `None` when it has no usable offer.
    pub fn new(show: &Show, product: &Product, base: &str, now: Millis) -> Option<Card> {
        let deal = show.deal_for(&product.id, now);
        let running = deal.filter(|d| is_running(d, now));
        let offer = running.map(|d| &d.offer).or(product.offer())?.clone();
        let stock = Stock::of(&offer, running.is_some_and(|d| d.stock_limit.is_some()));
        let limit = running.and_then(|d| d.stock_limit);
        Some(Card {
            product_id: product.id.clone(),
            title: product.title.clone(),
            brand: product.brand.clone(),
            image: product
                .images
                .iter()
                .find_map(|src| safe_http_url(base, src)),
            url: product.url.as_deref().and_then(|u| safe_http_url(base, u)),
            variant_id: product.variant_id.clone(),
            percent_off: offer.percent_off(),
            stock_bar: stock.bar(limit),
            stock,
            offer,
            deal: deal.map(|d| DealTimes {
                id: d.id.clone(),
                starts_at: d.starts_at,
                ends_at: d.ends_at,
                ended_early: d.status == DealStatus::Ended
                    && matches!(
                        d.end_reason,
                        Some(EndReason::SoldOut | EndReason::Cancelled)
                    ),
            }),
        })
    }
}

/// The pinned card.
pub fn pinned(show: &Show, base: &str, now: Millis) -> Option<Card> {
    Card::new(show, show.pinned_product()?, base, now)
}

/// The shelf, skipping products without a usable offer.
pub fn shelf(show: &Show, base: &str, now: Millis) -> Vec<Card> {
    show.products
        .iter()
        .filter_map(|p| Card::new(show, p, base, now))
        .collect()
}

/// How the overlay arranges itself over the picture, and the search panel over the player.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Room inside the picture for the whole pinned card and an open shelf.
    Regular,
    /// An area too short for that, such as a 16:9 video on a phone held upright: a compact
    /// pinned card with the products button beside it, and the products and the search panel
    /// open as sheets over the page.
    Short,
}

/// Areas shorter than this, in CSS pixels, get [`Layout::Short`]. The regular layout of a
/// running flash deal on a phone (the top row, the pinned card with its countdown and stock,
/// the products button, the padding) is about 310 px tall.
pub const SHORT_PICTURE: f64 = 320.0;

/// The least height the short layout is made for: a 16:9 picture on a phone 390 px wide
/// (219 px) holds the whole flash deal and the products button.
pub const SHORT_ROOM: f64 = 219.0;

impl Layout {
    /// The layout over `area`: the video's picture for the overlay, the whole video element
    /// for the search panel. Without one (no video: the overlay is a block of its own) it is
    /// regular.
    pub fn for_area(area: Option<Rect>) -> Self {
        match area {
            Some(area) if area.height < SHORT_PICTURE => Self::Short,
            _ => Self::Regular,
        }
    }
}

/// What to announce to screen readers when the pinned card changes from `before` to `after`.
/// `price` formats an offer's price for the locale, `count` a number.
pub fn announcement(
    before: Option<&Card>,
    after: &Card,
    locale: &Locale,
    price: impl Fn(&Offer) -> String,
    count: impl Fn(u32) -> String,
) -> Option<String> {
    let title = after.title.as_str();
    let before = before.filter(|b| b.product_id == after.product_id);
    let Some(before) = before else {
        // A newly pinned product: its price is the news.
        let text = fill(locale.text(Text::AnnouncePrice), "title", title);
        return Some(fill(&text, "price", &price(&after.offer)));
    };
    if after.stock == Stock::SoldOut && before.stock != Stock::SoldOut {
        return Some(fill(locale.text(Text::AnnounceSoldOut), "title", title));
    }
    if before.offer.price != after.offer.price
        || before.offer.price_currency != after.offer.price_currency
    {
        let text = fill(locale.text(Text::AnnouncePrice), "title", title);
        return Some(fill(&text, "price", &price(&after.offer)));
    }
    match (before.stock, after.stock) {
        (Stock::Left(a), Stock::Left(b)) if a != b => {
            let text = fill(locale.text(Text::AnnounceStock), "title", title);
            Some(fill(&text, "n", &count(b)))
        }
        _ => None,
    }
}

/// The token a video's `controlslist` holds while the overlay offers its own full-screen button:
/// the browser's own button would put the bare video full screen, where nothing of the page,
/// the overlay included, can show.
pub const NO_NATIVE_FULLSCREEN: &str = "nofullscreen";

/// Inline declarations (each set `!important`) that make a video, and each element between it
/// and the element shown full screen, fill the screen while the overlay's full screen is on: a
/// page's player skin wraps its video in boxes of a set size, which would otherwise keep the
/// picture small in a corner of a black screen. Each property is given back on leaving.
pub const FULLSCREEN_FILL: &str =
    "width:100%;height:100%;max-width:none;max-height:none;margin:0;padding:0;box-sizing:border-box";

/// What [`FULLSCREEN_FILL`] adds for the video itself: letterboxed.
pub const FULLSCREEN_VIDEO: &str = "object-fit:contain";

/// `list` (a space-separated token list, such as `controlslist`) with `token` added, or `None`
/// when it already holds it.
pub fn with_token(list: &str, token: &str) -> Option<String> {
    let list = list.trim();
    if list
        .split_ascii_whitespace()
        .any(|t| t.eq_ignore_ascii_case(token))
    {
        return None;
    }
    Some(if list.is_empty() {
        token.to_string()
    } else {
        format!("{list} {token}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deal::tests::{offer, product};
    use crate::deal::{Action, Show};
    use crate::protocol::{Amount, FlashDeal, StreamState};

    const BASE: &str = "http://127.0.0.1:8080";

    fn show_with(products: Vec<Product>, deals: Vec<FlashDeal>) -> Show {
        let mut show = Show::default();
        show.apply(Action::Snapshot(StreamState {
            stream_id: "demo".into(),
            epoch: "e".into(),
            seq: 1,
            server_time: 0,
            live: true,
            pinned: products.first().map(|p| p.id.clone()),
            products,
            banner: None,
            flash_deals: deals,
        }));
        show
    }

    #[test]
    fn short_areas_get_the_compact_layout_and_sheets() {
        let picture = |width, height| Some(Rect::new(0.0, 0.0, width, height));
        // 16:9 on a phone held upright, letterboxed or not.
        assert_eq!(Layout::for_area(picture(342.0, 192.0)), Layout::Short);
        assert_eq!(Layout::for_area(picture(390.0, 219.0)), Layout::Short);
        assert_eq!(Layout::for_area(picture(560.0, 315.0)), Layout::Short);
        assert_eq!(
            Layout::for_area(picture(569.0, SHORT_PICTURE)),
            Layout::Regular
        );
        assert_eq!(Layout::for_area(picture(640.0, 360.0)), Layout::Regular);
        // A vertical stream on a phone is narrow but tall.
        assert_eq!(Layout::for_area(picture(390.0, 693.0)), Layout::Regular);
        assert_eq!(Layout::for_area(None), Layout::Regular);
        // The search panel goes by the whole element: the demo's letterboxed player on a phone
        // is tall though its picture is not.
        assert_eq!(Layout::for_area(picture(342.0, 607.7)), Layout::Regular);
    }

    #[test]
    fn a_running_deal_sets_price_stock_and_discount() {
        let deal = FlashDeal {
            id: "d".into(),
            product_id: "a".into(),
            offer: offer(6.0, Some(10.0), Some(12)),
            starts_at: 0,
            ends_at: 60_000,
            status: DealStatus::Running,
            end_reason: None,
            stock_limit: Some(24),
            limit_per_shopper: None,
        };
        let show = show_with(vec![product("a", 10.0)], vec![deal]);
        let card = pinned(&show, BASE, 1_000).unwrap();
        assert_eq!(card.offer.price.get(), 6.0);
        assert_eq!(card.percent_off, Some(40));
        assert_eq!(card.stock, Stock::Left(12));
        assert_eq!(card.stock_bar, Some(0.5));
        assert_eq!(
            card.image.as_deref(),
            Some("http://127.0.0.1:8080/media/a.png")
        );
        // After its end the product's own offer shows again.
        let later = pinned(&show, BASE, 60_000).unwrap();
        assert_eq!(later.offer.price.get(), 10.0);
        assert_eq!(later.percent_off, None);
    }

    #[test]
    fn hostile_links_are_dropped() {
        let mut p = product("a", 10.0);
        p.images = vec![
            "javascript:alert(1)".into(),
            "data:image/png;base64,AA".into(),
        ];
        p.url = Some("javascript:alert(1)".into());
        let show = show_with(vec![p], vec![]);
        let card = pinned(&show, BASE, 0).unwrap();
        assert_eq!(card.image, None);
        assert_eq!(card.url, None);
    }

    #[test]
    fn products_without_an_offer_are_skipped() {
        let mut p = product("a", 10.0);
        p.offers.clear();
        let show = show_with(vec![p, product("b", 5.0)], vec![]);
        let cards = shelf(&show, BASE, 0);
        assert_eq!(cards.len(), 1);
        assert_eq!(cards[0].product_id, "b");
    }

    #[test]
    fn stock_lines() {
        let en = Locale::default();
        let count = |n: u32| n.to_string();
        assert_eq!(Stock::Left(12).text(&en, count).as_deref(), Some("12 left"));
        assert_eq!(Stock::SoldOut.text(&en, count).as_deref(), Some("Sold out"));
        assert_eq!(Stock::InStock.text(&en, count), None);
        assert_eq!(
            Stock::of(&offer(1.0, None, Some(500)), false),
            Stock::InStock
        );
        assert_eq!(
            Stock::of(&offer(1.0, None, Some(500)), true),
            Stock::Left(500)
        );
        assert_eq!(Stock::of(&offer(1.0, None, Some(0)), true), Stock::SoldOut);
    }

    #[test]
    fn announces_price_stock_and_sell_out() {
        let en = Locale::default();
        let show = show_with(vec![product("a", 10.0)], vec![]);
        let before = pinned(&show, BASE, 0).unwrap();
        let price = |o: &Offer| format!("€{}", o.price.get());
        let count = |n: u32| n.to_string();
        let mut after = before.clone();
        after.offer.price = Amount::new(8.0).unwrap();
        assert_eq!(
            announcement(Some(&before), &after, &en, price, count).as_deref(),
            Some("Product a: now €8")
        );
        let mut fewer = before.clone();
        fewer.stock = Stock::Left(3);
        assert_eq!(
            announcement(Some(&before), &fewer, &en, price, count).as_deref(),
            Some("Product a: 3 left")
        );
        let mut gone = before.clone();
        gone.stock = Stock::SoldOut;
        assert_eq!(
            announcement(Some(&before), &gone, &en, price, count).as_deref(),
            Some("Product a: sold out")
        );
        assert_eq!(
            announcement(Some(&before), &before, &en, price, count),
            None
        );
    }

    #[test]
    fn a_token_list_gains_one_token_once_and_keeps_the_page_s() {
        assert_eq!(
            with_token("", "nofullscreen").as_deref(),
            Some("nofullscreen")
        );
        assert_eq!(
            with_token(" nodownload ", "nofullscreen").as_deref(),
            Some("nodownload nofullscreen")
        );
        // The page already hides it: nothing to add, so nothing to give back later.
        assert_eq!(with_token("nodownload NoFullscreen", "nofullscreen"), None);
    }
}
