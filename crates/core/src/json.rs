//! Decoding the protocol from any JSON tree, leniently.
//!
//! Decoders are written against [`JsonView`], a read-only view of a parsed JSON value. Native code
//! (the server, tests) views `serde_json::Value`; the widget views what the browser's
//! `JSON.parse` returned, so its wasm carries no JSON parser and no serde deserialisers. A
//! decoder returns `None` for a value it cannot use; lists skip such items, optional fields
//! become `None`, required ones make their parent unusable.
use crate::error::BackendError;
use crate::hotspot::{Hotspot, Keyframe, Manifest};
use crate::protocol::{
    clean_text, Amount, Availability, Banner, CartItemRequest, CartItemResponse, CatalogPage,
    Change, Currency, DealStatus, EndReason, ErrorBody, ErrorDetail, EventList, FlashDeal,
    LiveEvent, Offer, Product, SearchHit, SearchOptions, SearchResults, StreamEvent, StreamState,
};
use crate::studio::Draft;

/// Most items a list keeps; more is hostile.
const MAX_ITEMS: usize = 500;

/// A read-only view of a parsed JSON value.
pub trait JsonView: Sized {
    /// A field of an object; `None` when this is not an object, the field is absent or `null`.
    fn field(&self, key: &str) -> Option<Self>;
    /// The string, if this is one.
    fn string(&self) -> Option<String>;
    /// The number, if this is a finite one.
    fn number(&self) -> Option<f64>;
    /// The boolean, if this is one.
    fn boolean(&self) -> Option<bool>;
    /// The elements, if this is an array.
    fn elements(&self) -> Option<Vec<Self>>;
}

impl JsonView for serde_json::Value {
    fn field(&self, key: &str) -> Option<Self> {
        self.get(key).filter(|v| !v.is_null()).cloned()
    }
    fn string(&self) -> Option<String> {
        self.as_str().map(str::to_string)
    }
    fn number(&self) -> Option<f64> {
        self.as_f64().filter(|n| n.is_finite())
    }
    fn boolean(&self) -> Option<bool> {
        self.as_bool()
    }
    fn elements(&self) -> Option<Vec<Self>> {
        self.as_array().cloned()
    }
}

/// A protocol value that decodes from JSON.
pub trait FromJson: Sized {
    /// Decodes `json`, or `None` when it cannot be used.
    fn from_json<J: JsonView>(json: &J) -> Option<Self>;
}

/// Parses JSON text with serde_json and decodes it; for native code.
pub fn decode<T: FromJson>(bytes: &[u8]) -> Result<T, BackendError> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| BackendError::Protocol(e.to_string()))?;
    decode_value(&value)
}

/// Decodes an already parsed value, naming the type that failed.
pub fn decode_value<T: FromJson, J: JsonView>(json: &J) -> Result<T, BackendError> {
    T::from_json(json).ok_or_else(|| {
        let name = std::any::type_name::<T>()
            .rsplit("::")
            .next()
            .unwrap_or("value");
        BackendError::Protocol(format!("not a usable {name}"))
    })
}

/// Parses a plain decimal (`19.99`, `-3`, ` 7 `) without the float parser: prices arrive as
/// strings, and the widget's wasm need not carry Rust's general float parsing for them.
pub fn parse_decimal(text: &str) -> Option<f64> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || whole.len() > 15
        || fraction.len() > 9
        || !all_digits(whole)
        || !all_digits(fraction)
    {
        return None;
    }
    if digits.ends_with('.') {
        return None;
    }
    let mut value = whole.parse::<u64>().ok()? as f64;
    if !fraction.is_empty() {
        value += fraction.parse::<u64>().ok()? as f64 / 10f64.powi(fraction.len() as i32);
    }
    Some(if negative { -value } else { value })
}

fn text<J: JsonView>(json: &J, key: &str) -> Option<String> {
    json.field(key)?.string()
}

/// Shop text: cleaned, and `None` when nothing is left.
fn plain<J: JsonView>(json: &J, key: &str) -> Option<String> {
    Some(clean_text(&text(json, key)?)).filter(|t| !t.is_empty())
}

fn integer<J: JsonView>(json: &J, key: &str) -> Option<i64> {
    let n = json.field(key)?.number()?;
    (n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_992.0).then_some(n as i64)
}

fn count<J: JsonView>(json: &J, key: &str) -> Option<u32> {
    integer(json, key).and_then(|n| u32::try_from(n).ok())
}

fn seq<J: JsonView>(json: &J, key: &str) -> Option<u64> {
    integer(json, key).and_then(|n| u64::try_from(n).ok())
}

fn list<T: FromJson, J: JsonView>(json: &J, key: &str) -> Vec<T> {
    json.field(key)
        .and_then(|v| v.elements())
        .unwrap_or_default()
        .iter()
        .filter_map(T::from_json)
        .take(MAX_ITEMS)
        .collect()
}

fn strings<J: JsonView>(json: &J, key: &str) -> Vec<String> {
    json.field(key)
        .and_then(|v| v.elements())
        .unwrap_or_default()
        .iter()
        .filter_map(JsonView::string)
        .take(MAX_ITEMS)
        .collect()
}

fn optional<T: FromJson, J: JsonView>(json: &J, key: &str) -> Option<T> {
    T::from_json(&json.field(key)?)
}

impl FromJson for Amount {
    fn from_json<J: JsonView>(json: &J) -> Option<Self> {
        let value = json.number().or_else(|| parse_decimal(&json.string()?))?;
        Amount::new(value)
    }
}

impl FromJson for Currency {
    fn from_json<J: JsonView>(json: &J) -> Option<Self> {
        Currency::parse(&json.string()?)
    }
}

impl Availability {
    /// The schema.org name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InStock => "InStock",
            Self::LimitedAvailability => "LimitedAvailability",
            Self::SoldOut => "SoldOut",
            Self::PreOrder => "PreOrder",
            Self::Unknown => "Unknown",
        }
    }
}

impl FromJson for Availability {
    fn from_json<J: JsonView>(json: &J) -> Option<Self> {
        Some(match json.string()?.as_str() {
            "InStock" => Self::InStock,
            "LimitedAvailability" => Self::LimitedAvailability,
            "SoldOut" => Self::SoldOut,
            "PreOrder" => Self::PreOrder,
            _ => Self::Unknown,
        })
    }
}

impl FromJson for DealStatus {
    fn from_json<J: JsonView>(json: &J) -> Option<Self> {
        Some(match json.string()?.as_str() {
            "scheduled" => Self::Scheduled,
            "running" => Self::Running,
            "ended" => Self::Ended,
            _ => Self::Unknown,
        })
    }
}

impl FromJson for EndReason {
    fn from_json<J: JsonView>(json: &J) -> Option<Self> {
        Some(match json.string()?.as_str() {
            "expired" => Self::Expired,
            "soldOut" => Self::SoldOut,
            "cancelled" => Self::Cancelled,
            _ => Self::Unknown,
        })
    }
}

impl FromJson for Offer {
    fn from_json<J: JsonView>(json: &J) -> Option<Self> {
        Some(Offer {
            price: Amount::from_json(&json.field("price")?)?,
            price_currency: Currency::from_json(&json.field("priceCurrency")?)?,
            original_price: optional(json, "originalPrice"),
            price_valid_until: integer(json, "priceValidUntil"),
            availability: optional(json, "availability").unwrap_or_default(),
            inventory_level: count(json, "inventoryLevel"),
        })
    }
}

impl FromJson for Product {
    fn from_json<J: JsonView>(json: &J) -> Option<Self> {
        Some(Product {
            id: text(json, "id")?,
            title: plain(json, "title")?,
            brand: plain(json, "brand"),
            images: strings(json, "images"),
            offers: list(json, "offers"),
            url: text(json, "url"),
            variant_id: text(json, "variantId").filter(|v| !v.is_empty() && v.len() <= 64),
        })
    }
}

impl FromJson for FlashDeal {
    fn from_json<J: JsonView>(json: &J) -> Option<Self> {
        Some(FlashDeal {
            id: text(json, "id")?,
            product_id: text(json, "productId")?,
            offer: optional(json, "offer")?,
            starts_at: integer(json, "startsAt")?,
            ends_at: integer(json, "endsAt")?,
            status: optional(json, "status").unwrap_or_default(),
            end_reason: optional(json, "endReason"),
            stock_limit: count(json, "stockLimit"),
            limit_per_shopper: count(json, "limitPerShopper"),
        })
    }
}

impl FromJson for Banner {
    fn from_json<J: JsonView>(json: &J) -> Option<Self> {
        Some(Banner {
            title: plain(json, "title")?,
            subtitle: plain(json, "subtitle"),
            url: text(json, "url"),
        })
    }
}

impl FromJson for StreamState {
    fn from_json<J: JsonView>(json: &J) -> Option<Self> {
        Some(StreamState {
            stream_id: text(json, "streamId")?,
            epoch: text(json, "epoch")?,
            seq: seq(json, "seq")?,
            server_time: integer(json, "serverTime")?,
            live: json
                .field("live")
                .and_then(|v| v.boolean())
                .unwrap_or(false),
            pinned: text(json, "pinned"),
            products: list(json, "products"),
            banner: optional(json, "banner"),
            flash_deals: list(json, "flashDeals"),
        })
    }
}

impl FromJson for Change {
    fn from_json<J: JsonView>(json: &J) -> Option<Self> {
        let id = |key| text(json, key);
        Some(match text(json, "type")?.as_str() {
            "offerPinned" => Change::OfferPinned {
                product: optional(json, "product")?,
            },
            "offerUnpinned" => Change::OfferUnpinned,
            "priceChanged" => Change::PriceChanged {
                product_id: id("productId")?,
                price: optional(json, "price")?,
                original_price: optional(json, "originalPrice"),
            },
            "stockChanged" => Change::StockChanged {
                product_id: id("productId")?,
                inventory_level: count(json, "inventoryLevel"),
                availability: optional(json, "availability").unwrap_or_default(),
            },
            "flashDealScheduled" => Change::FlashDealScheduled {
                deal: optional(json, "deal")?,
            },
            "flashDealStarted" => Change::FlashDealStarted {
                deal_id: id("dealId")?,
            },
            "flashDealEnded" => Change::FlashDealEnded {
                deal_id: id("dealId")?,
                reason: optional(json, "reason")?,
            },
            "bannerChanged" => Change::BannerChanged {
                banner: optional(json, "banner"),
            },
            "showStarted" => Change::ShowStarted,
            "showEnded" => Change::ShowEnded,
            _ => Change::Unknown,
        })
    }
}

impl FromJson for StreamEvent {
    fn from_json<J: JsonView>(json: &J) -> Option<Self> {
        Some(StreamEvent {
            epoch: text(json, "epoch")?,
            seq: seq(json, "seq")?,
            server_time: integer(json, "serverTime")?,
            change: Change::from_json(json)?,
        })
    }
}

impl FromJson for CatalogPage {
    fn from_json<J: JsonView>(json: &J) -> Option<Self> {
        Some(CatalogPage {
            products: list(json, "products"),
            next_cursor: text(json, "nextCursor"),
            server_time: integer(json, "serverTime")?,
        })
    }
}

impl FromJson for LiveEvent {
    fn from_json<J: JsonView>(json: &J) -> Option<Self> {
        Some(LiveEvent {
            id: text(json, "id")?,
            title: plain(json, "title")?,
            host: plain(json, "host"),
            starts_at: integer(json, "startsAt")?,
            ends_at: integer(json, "endsAt")?,
            stream_id: text(json, "streamId"),
            url: text(json, "url"),
        })
    }
}

impl FromJson for EventList {
    fn from_json<J: JsonView>(json: &J) -> Option<Self> {
        Some(EventList {
            events: list(json, "events"),
            server_time: integer(json, "serverTime")?,
        })
    }
}

impl FromJson for CartItemRequest {
    fn from_json<J: JsonView>(json: &J) -> Option<Self> {
        Some(CartItemRequest {
            product_id: text(json, "productId")?,
            quantity: count(json, "quantity")?,
            offer: optional(json, "offer"),
        })
    }
}

impl FromJson for CartItemResponse {
    fn from_json<J: JsonView>(json: &J) -> Option<Self> {
        Some(CartItemResponse {
            cart_token: text(json, "cartToken")?,
            line_id: text(json, "lineId")?,
            item_count: count(json, "itemCount")?,
            held_until: integer(json, "heldUntil"),
            server_time: integer(json, "serverTime")?,
        })
    }
}

impl FromJson for ErrorBody {
    fn from_json<J: JsonView>(json: &J) -> Option<Self> {
        let error = json.field("error")?;
        Some(ErrorBody {
            error: ErrorDetail {
                code: text(&error, "code")?,
                message: text(&error, "message").unwrap_or_default(),
            },
        })
    }
}

impl FromJson for SearchHit {
    fn from_json<J: JsonView>(json: &J) -> Option<Self> {
        let similarity = json.field("similarity")?.number()?;
        Some(SearchHit {
            product: optional(json, "product")?,
            similarity: similarity.clamp(-1.0, 1.0) as f32,
            close: json.field("close").and_then(|c| c.boolean()),
        })
    }
}

impl FromJson for SearchResults {
    fn from_json<J: JsonView>(json: &J) -> Option<Self> {
        Some(SearchResults {
            query_id: text(json, "queryId")?,
            results: list(json, "results"),
            server_time: integer(json, "serverTime")?,
        })
    }
}

impl FromJson for SearchOptions {
    fn from_json<J: JsonView>(json: &J) -> Option<Self> {
        Some(SearchOptions {
            profile: text(json, "profile")?,
            profiles: strings(json, "profiles"),
        })
    }
}

/// Writes a JSON string literal.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl FromJson for Keyframe {
    fn from_json<J: JsonView>(json: &J) -> Option<Self> {
        Some(Keyframe {
            t: json.field("t")?.number()?,
            x: json.field("x")?.number()?,
            y: json.field("y")?.number()?,
        })
    }
}

/// Every element, or nothing: a manifest never loses a hotspot or a keyframe silently.
fn all<T: FromJson, J: JsonView>(json: &J, key: &str, most: usize) -> Option<Vec<T>> {
    let items = json.field(key)?.elements()?;
    if items.len() > most {
        return None;
    }
    items.iter().map(T::from_json).collect()
}

impl FromJson for Hotspot {
    fn from_json<J: JsonView>(json: &J) -> Option<Self> {
        Some(Hotspot {
            id: text(json, "id")?,
            product_id: text(json, "productId").unwrap_or_default(),
            start: json.field("start")?.number()?,
            end: json.field("end")?.number()?,
            keyframes: all(
                json,
                "keyframes",
                crate::hotspot::MAX_KEYFRAMES * crate::hotspot::READ_BEYOND_LIMITS,
            )?,
            label: plain(json, "label"),
            cta: plain(json, "cta"),
        })
    }
}

impl FromJson for Draft {
    fn from_json<J: JsonView>(json: &J) -> Option<Self> {
        Some(Draft {
            manifest: optional(json, "manifest")?,
            base: optional(json, "base"),
            etag: text(json, "etag"),
            queued: json
                .field("queued")
                .and_then(|q| q.boolean())
                .unwrap_or(false),
        })
    }
}

impl FromJson for Manifest {
    fn from_json<J: JsonView>(json: &J) -> Option<Self> {
        Some(Manifest {
            version: count(json, "version")?,
            video_id: text(json, "videoId")?,
            duration: json.field("duration").and_then(|d| d.number()),
            hotspots: all(
                json,
                "hotspots",
                crate::hotspot::MAX_HOTSPOTS * crate::hotspot::READ_BEYOND_LIMITS,
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_decimals_without_the_float_parser() {
        assert_eq!(parse_decimal("19.99"), Some(19.99));
        assert_eq!(parse_decimal(" 7 "), Some(7.0));
        assert_eq!(parse_decimal("-3.5"), Some(-3.5));
        assert_eq!(parse_decimal("0.125"), Some(0.125));
        for bad in [
            "",
            ".5",
            "5.",
            "1e3",
            "NaN",
            "inf",
            "0x10",
            "1,5",
            "--1",
            "12345678901234567",
        ] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn amounts_from_numbers_and_strings() {
        assert_eq!(Amount::from_json(&json!(12.5)).map(Amount::get), Some(12.5));
        assert_eq!(
            Amount::from_json(&json!("12.50")).map(Amount::get),
            Some(12.5)
        );
        assert_eq!(Amount::from_json(&json!(1e300)), None);
        assert_eq!(Amount::from_json(&json!(-1)), None);
        assert_eq!(Amount::from_json(&json!(true)), None);
    }

    #[test]
    fn events_round_trip_through_serde() {
        let event = StreamEvent {
            epoch: "e".into(),
            seq: 7,
            server_time: 1_795_000_000_000,
            change: Change::FlashDealEnded {
                deal_id: "d".into(),
                reason: EndReason::SoldOut,
            },
        };
        let text = serde_json::to_vec(&event).unwrap();
        assert_eq!(decode::<StreamEvent>(&text).unwrap(), event);
    }

    #[test]
    fn unknown_change_types_still_carry_their_sequence() {
        let event: StreamEvent =
            decode(br#"{"epoch":"e","seq":3,"serverTime":1,"type":"holographicPin","x":1}"#)
                .unwrap();
        assert_eq!((event.seq, event.change), (3, Change::Unknown));
    }

    #[test]
    fn an_event_missing_its_payload_is_unusable() {
        let err =
            decode::<StreamEvent>(br#"{"epoch":"e","seq":3,"serverTime":1,"type":"offerPinned"}"#);
        assert_eq!(
            err.unwrap_err(),
            BackendError::Protocol("not a usable StreamEvent".into())
        );
        assert!(decode::<StreamEvent>(
            br#"{"epoch":"e","seq":-1,"serverTime":1,"type":"showEnded"}"#
        )
        .is_err());
        assert!(decode::<StreamEvent>(
            br#"{"epoch":"e","seq":1.5,"serverTime":1,"type":"showEnded"}"#
        )
        .is_err());
    }

    #[test]
    fn cart_requests_round_trip() {
        let request = CartItemRequest {
            product_id: "p\"1".into(),
            quantity: 2,
            offer: None,
        };
        assert_eq!(
            decode::<CartItemRequest>(request.to_json().as_bytes()).unwrap(),
            request
        );
    }

    #[test]
    fn quotes_strings() {
        assert_eq!(quote("a\"b\\c\n"), r#""a\"b\\c\u000a""#);
        let parsed: String = serde_json::from_str(&quote("x\u{1}y€")).unwrap();
        assert_eq!(parsed, "x\u{1}y€");
    }
}
