//! The `/v1` wire protocol shared by the widget and the reference backend (`openapi.yaml`).
//!
//! Types serialise with serde (the server writes them); they decode through [`crate::json`],
//! leniently where a shopper is better served by showing less than by showing nothing: a
//! malformed product in a shelf is skipped, an unknown enum value becomes `Unknown`, a bad link
//! becomes `None`. Numbers outside sane ranges are refused, so a hostile backend can never make
//! the widget render `NaN` or a price with forty digits.
use serde::Serialize;

/// The protocol version this crate speaks; it is the first segment of every API path.
pub const API_VERSION: &str = "v1";

/// Milliseconds since the Unix epoch, on the server's clock.
pub type Millis = i64;

/// The largest price or quantity the widget will show. Anything above is hostile or a bug.
pub const MAX_AMOUNT: f64 = 1e9;

/// Header that carries server time on every response, in milliseconds since the epoch.
pub const SERVER_TIME_HEADER: &str = "x-server-time";

/// schema.org `ItemAvailability`, reduced to what a live shelf shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Default)]
pub enum Availability {
    /// Can be bought now.
    #[default]
    InStock,
    /// Can be bought now, but few remain.
    LimitedAvailability,
    /// None left.
    SoldOut,
    /// Can be ordered before release.
    PreOrder,
    /// A value this version does not know; shown as nothing rather than guessed.
    Unknown,
}

/// An ISO 4217 currency code, three ASCII capital letters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Currency(String);

impl Currency {
    /// Parses a currency code, upper-casing it; `None` unless it is three ASCII letters.
    pub fn parse(code: &str) -> Option<Self> {
        let code = code.trim();
        (code.len() == 3 && code.bytes().all(|b| b.is_ascii_alphabetic()))
            .then(|| Self(code.to_ascii_uppercase()))
    }

    /// The code, for `Intl.NumberFormat`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A finite amount of money between 0 and [`MAX_AMOUNT`]. Accepts a JSON number or a decimal
/// string, as schema.org allows both.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Serialize)]
#[serde(transparent)]
pub struct Amount(f64);

impl Amount {
    /// Validates an amount.
    pub fn new(value: f64) -> Option<Self> {
        (value.is_finite() && (0.0..=MAX_AMOUNT).contains(&value)).then_some(Self(value))
    }

    /// The value.
    pub fn get(self) -> f64 {
        self.0
    }
}

/// A price offer, with schema.org `Offer` names.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Offer {
    /// What the shopper pays now.
    pub price: Amount,
    /// ISO 4217 code of `price` and `original_price`.
    pub price_currency: Currency,
    /// The struck-through price before the deal, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_price: Option<Amount>,
    /// When this price stops applying.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_valid_until: Option<Millis>,
    /// Whether it can be bought.
    pub availability: Availability,
    /// How many remain, when the shop says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inventory_level: Option<u32>,
}

impl Offer {
    /// Whole percent off the original price, when there is a real reduction.
    pub fn percent_off(&self) -> Option<u8> {
        let original = self.original_price?.get();
        let price = self.price.get();
        if original <= 0.0 || price >= original {
            return None;
        }
        let pct = ((original - price) / original * 100.0).round();
        (pct >= 1.0).then_some(pct.min(99.0) as u8)
    }
}

/// A product in the shop.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    /// Stable identifier.
    pub id: String,
    /// Name shown to shoppers, plain text.
    pub title: String,
    /// Brand, plain text.
    pub brand: Option<String>,
    /// Photo URLs, possibly relative to the API base.
    pub images: Vec<String>,
    /// Offers, the first being the current one.
    pub offers: Vec<Offer>,
    /// Product page, possibly relative to the API base.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The shop's own id of what its cart adds (a Shopify variant, a WooCommerce product), for
    /// a widget that adds to the shop's cart; absent when the shopper must choose first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant_id: Option<String>,
}

impl Product {
    /// The offer shown for this product.
    pub fn offer(&self) -> Option<&Offer> {
        self.offers.first()
    }
}

/// Where a flash deal is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum DealStatus {
    /// Announced, not started.
    #[default]
    Scheduled,
    /// Can be bought at the deal price now.
    Running,
    /// Over.
    Ended,
    /// A status this version does not know.
    Unknown,
}

/// Why a flash deal ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum EndReason {
    /// Its time ran out.
    Expired,
    /// Its stock ran out.
    SoldOut,
    /// The producer stopped it.
    Cancelled,
    /// A reason this version does not know.
    Unknown,
}

/// A time-limited price on one product.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlashDeal {
    /// Stable identifier.
    pub id: String,
    /// The product it discounts.
    pub product_id: String,
    /// The deal price, with the original price struck through.
    pub offer: Offer,
    /// Start, server clock.
    pub starts_at: Millis,
    /// End, server clock.
    pub ends_at: Millis,
    /// Its state as the server last said.
    pub status: DealStatus,
    /// Why it ended, once it has.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_reason: Option<EndReason>,
    /// Units on sale at the deal price, for the stock bar.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stock_limit: Option<u32>,
    /// Most units one cart may hold at the deal price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_per_shopper: Option<u32>,
}

/// The campaign banner over the stream.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Banner {
    /// Headline, plain text ("Fall Deals For You").
    pub title: String,
    /// Second line, plain text.
    pub subtitle: Option<String>,
    /// Campaign page, possibly relative.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// `GET /v1/streams/{id}/state`: everything a viewer needs to draw the overlay.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamState {
    /// The stream.
    pub stream_id: String,
    /// Changes whenever the server's sequence restarts (a restart, a new show).
    pub epoch: String,
    /// Sequence number of the last event folded into this state.
    pub seq: u64,
    /// Server time when this was produced.
    pub server_time: Millis,
    /// Whether the show is on air.
    pub live: bool,
    /// Id of the pinned product.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pinned: Option<String>,
    /// The shelf, in display order.
    pub products: Vec<Product>,
    /// The campaign banner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub banner: Option<Banner>,
    /// Flash deals: scheduled, running and recently ended.
    pub flash_deals: Vec<FlashDeal>,
}

/// One change on a stream, as sent over Server-Sent Events.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamEvent {
    /// Matches [`StreamState::epoch`].
    pub epoch: String,
    /// One more than the previous event's.
    pub seq: u64,
    /// Server time when it happened.
    pub server_time: Millis,
    /// What happened.
    #[serde(flatten)]
    pub change: Change,
}

impl StreamEvent {
    /// The SSE `id:` of this event, which a client sends back as `Last-Event-ID`.
    pub fn sse_id(&self) -> String {
        format!("{}.{}", self.epoch, self.seq)
    }
}

/// Parses an SSE `Last-Event-ID` of the form `epoch.seq`.
pub fn parse_sse_id(id: &str) -> Option<(&str, u64)> {
    let (epoch, seq) = id.trim().rsplit_once('.')?;
    Some((epoch, seq.parse().ok()?))
}

/// What changed on a stream.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Change {
    /// A product is pinned over the video; it replaces any earlier pin.
    OfferPinned {
        /// The product, in full, so a viewer needs no other request.
        product: Product,
    },
    /// Nothing is pinned any more.
    OfferUnpinned,
    /// A product's current price changed.
    PriceChanged {
        /// The product.
        product_id: String,
        /// The new price.
        price: Amount,
        /// The new struck-through price, if any.
        #[serde(skip_serializing_if = "Option::is_none")]
        original_price: Option<Amount>,
    },
    /// A product's (or its running deal's) stock changed.
    StockChanged {
        /// The product.
        product_id: String,
        /// How many remain.
        #[serde(skip_serializing_if = "Option::is_none")]
        inventory_level: Option<u32>,
        /// Whether it can be bought.
        availability: Availability,
    },
    /// A flash deal was announced.
    FlashDealScheduled {
        /// The deal.
        deal: FlashDeal,
    },
    /// A flash deal started.
    FlashDealStarted {
        /// Its id.
        deal_id: String,
    },
    /// A flash deal ended.
    FlashDealEnded {
        /// Its id.
        deal_id: String,
        /// Why.
        reason: EndReason,
    },
    /// The campaign banner changed or went away.
    BannerChanged {
        /// The new banner.
        banner: Option<Banner>,
    },
    /// The show went on air.
    ShowStarted,
    /// The show went off air.
    ShowEnded,
    /// An event this version does not know; it still advances the sequence.
    Unknown,
}

/// Longest id a producer may send (products, deals), in bytes.
pub const MAX_ID: usize = 128;
/// Longest text a producer may send for the banner's lines, in characters.
pub const MAX_PRODUCER_TEXT: usize = 200;
/// Longest link a producer may send, in bytes.
pub const MAX_LINK: usize = 2048;

impl Change {
    /// What is too long in a producer's change, if anything: every viewer receives and keeps
    /// each change, so none may be larger than the overlay can show.
    pub fn oversized(&self) -> Option<String> {
        let id = |what: &str, id: &str| {
            (id.len() > MAX_ID).then(|| format!("{what} is longer than {MAX_ID} bytes"))
        };
        let text = |what: &str, text: &str| {
            (text.chars().count() > MAX_PRODUCER_TEXT)
                .then(|| format!("{what} is longer than {MAX_PRODUCER_TEXT} characters"))
        };
        let link = |what: &str, link: &str| {
            (link.len() > MAX_LINK).then(|| format!("{what} is longer than {MAX_LINK} bytes"))
        };
        match self {
            Self::OfferPinned { product } => id("the product id", &product.id),
            Self::PriceChanged { product_id, .. } | Self::StockChanged { product_id, .. } => {
                id("the product id", product_id)
            }
            Self::FlashDealScheduled { deal } => {
                id("the deal id", &deal.id).or_else(|| id("the product id", &deal.product_id))
            }
            Self::FlashDealStarted { deal_id } | Self::FlashDealEnded { deal_id, .. } => {
                id("the deal id", deal_id)
            }
            Self::BannerChanged {
                banner: Some(banner),
            } => text("the banner's title", &banner.title)
                .or_else(|| text("the banner's subtitle", banner.subtitle.as_deref()?))
                .or_else(|| link("the banner's link", banner.url.as_deref()?)),
            Self::BannerChanged { banner: None }
            | Self::OfferUnpinned
            | Self::ShowStarted
            | Self::ShowEnded
            | Self::Unknown => None,
        }
    }
}

/// `GET /v1/catalog`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogPage {
    /// Matching products.
    pub products: Vec<Product>,
    /// Pass as `cursor` for the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// Server time.
    pub server_time: Millis,
}

/// An upcoming live shopping event.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveEvent {
    /// Stable identifier; `GET /v1/events/{id}.ics` gives its calendar entry.
    pub id: String,
    /// Name, plain text.
    pub title: String,
    /// Host or brand, plain text.
    pub host: Option<String>,
    /// Start, server clock.
    pub starts_at: Millis,
    /// End, server clock.
    pub ends_at: Millis,
    /// The stream it will air on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
    /// Page to watch it, possibly relative.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// `GET /v1/events`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventList {
    /// Upcoming events, soonest first.
    pub events: Vec<LiveEvent>,
    /// Server time.
    pub server_time: Millis,
}

/// `POST /v1/cart/items` body.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CartItemRequest {
    /// The product.
    pub product_id: String,
    /// How many; at least one.
    pub quantity: u32,
    /// The offer the shopper saw, so the server can refuse a stale price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offer: Option<Offer>,
}

impl CartItemRequest {
    /// The request body. Written by hand so the widget needs no JSON serialiser.
    pub fn to_json(&self) -> String {
        let mut out = format!(
            "{{\"productId\":{},\"quantity\":{}",
            crate::json::quote(&self.product_id),
            self.quantity
        );
        if let Some(offer) = &self.offer {
            out.push_str(&format!(
                ",\"offer\":{{\"price\":{},\"priceCurrency\":{}}}",
                crate::json::quote(&format_amount(offer.price)),
                crate::json::quote(offer.price_currency.as_str())
            ));
        }
        out.push('}');
        out
    }
}

/// An amount as a decimal string with up to four places, without float formatting.
pub fn format_amount(amount: Amount) -> String {
    let scaled = (amount.get() * 10_000.0).round() as u64;
    let (whole, fraction) = (scaled / 10_000, scaled % 10_000);
    if fraction == 0 {
        whole.to_string()
    } else {
        format!("{whole}.{fraction:04}")
            .trim_end_matches('0')
            .to_string()
    }
}

/// `POST /v1/cart/items` answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CartItemResponse {
    /// The shopper's cart: sent back as `Cart-Token` with every later add of the page session.
    pub cart_token: String,
    /// The cart line's id.
    pub line_id: String,
    /// Items in the cart after this add.
    pub item_count: u32,
    /// Until when a flash deal's units are held for this cart; they return to the deal after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_until: Option<Millis>,
    /// Server time.
    pub server_time: Millis,
}

/// The header that names the shopper's cart (`CartItemResponse::cart_token`).
pub const CART_TOKEN_HEADER: &str = "cart-token";

/// One product found by visual search.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    /// The product, with its current offers.
    pub product: Product,
    /// Cosine similarity of the embeddings, -1 to 1.
    pub similarity: f32,
    /// Whether the backend judges the product a close match for the photo, by its own model's
    /// measure (a similarity means different things to different models). `None`: it does not
    /// say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub close: Option<bool>,
}

/// `POST /v1/search/image` answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchResults {
    /// Send back with another `box` to search another region without re-uploading.
    pub query_id: String,
    /// Best first.
    pub results: Vec<SearchHit>,
    /// Server time.
    pub server_time: Millis,
}

/// `GET /v1/search/image` answer: how the backend wants photos prepared.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchOptions {
    /// The pipeline profile its model reads best, e.g. `square-224` for a 224 × 224 model.
    pub profile: String,
    /// Every profile it accepts.
    pub profiles: Vec<String>,
}

/// The body of every 4xx and 5xx answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// A machine-readable code and a developer-facing message.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ErrorDetail {
    /// Stable code, e.g. `not_found`, `bad_request`, `missing_idempotency_key`.
    pub code: String,
    /// For developers; shoppers see the widget's own localised text.
    pub message: String,
}

/// Longest text shown; longer is cut with an ellipsis.
const MAX_TEXT: usize = 200;

/// Trims, replaces control characters and caps length: shop text is shown as text, never markup,
/// but it still must not break the layout.
pub fn clean_text(raw: &str) -> String {
    let cleaned: String = raw
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let trimmed = cleaned.trim();
    match trimmed.char_indices().nth(MAX_TEXT) {
        Some((cut, _)) => format!("{}…", trimmed[..cut].trim_end()),
        None => trimmed.to_string(),
    }
}
