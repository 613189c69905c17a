//! Adapters for shops that already run a storefront API: their public product lists become the
//! protocol's products (the backend serves them), and add-to-cart goes to the shop's own cart,
//! with the shopper's own session, on the page's origin.
//!
//! - **Shopify**: the product list every online store serves at `/products.json`; the Ajax
//!   cart's `POST {root}cart/add.js`.
//! - **WooCommerce**: the Store API's `GET /wp-json/wc/store/v1/products` and
//!   `POST /wp-json/wc/store/v1/cart/add-item`, whose `Nonce` comes from `GET …/cart`.
//!
//! A product the shopper must choose something for first (sizes, colours: a Shopify product
//! with several variants, a variable WooCommerce product) gets no `variantId`, and its
//! add-to-cart opens the product page, where the shop asks for the choice.
use crate::json::{parse_decimal, quote, JsonView};
use crate::protocol::{clean_text, Amount, Availability, Currency, Offer, Product};

/// Most products one import keeps, as many as a catalog page may hold in all.
const MAX_PRODUCTS: usize = 10_000;

/// A shop platform whose API live-shop speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    /// Shopify online stores.
    Shopify,
    /// WooCommerce, through its Store API.
    WooCommerce,
}

impl Platform {
    /// Parses the name used in attributes and flags: `shopify`, `woocommerce`.
    pub fn parse(name: &str) -> Option<Self> {
        let name = name.trim();
        [Self::Shopify, Self::WooCommerce]
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name))
    }

    /// The platform's name, as written in flags.
    pub fn name(self) -> &'static str {
        match self {
            Self::Shopify => "shopify",
            Self::WooCommerce => "woocommerce",
        }
    }

    /// Which platform's product list `json` is: Shopify's is an object with `products` whose
    /// items have `variants`; the Store API's is an array whose items have `prices`.
    pub fn detect<J: JsonView>(json: &J) -> Option<Self> {
        let first = |items: Option<Vec<J>>| items.and_then(|v| v.into_iter().next());
        if let Some(product) = first(json.field("products").and_then(|p| p.elements())) {
            return product.field("variants").map(|_| Self::Shopify);
        }
        first(json.elements())?
            .field("prices")
            .map(|_| Self::WooCommerce)
    }
}

/// What a product list does not say itself.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// The shop's origin, such as `https://shop.example`: Shopify's list has handles, not links.
    pub store: Option<String>,
    /// The shop's currency: Shopify's list has prices without one.
    pub currency: Option<Currency>,
}

/// Why a product list cannot be imported; the shop's owner reads these.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// The JSON is not the platform's product list.
    #[error("this is not {0}'s product list")]
    NotAList(&'static str),
    /// Shopify's list needs the shop's currency.
    #[error("Shopify's products.json carries no currency: give the shop's currency (such as EUR)")]
    NoCurrency,
    /// Shopify's list needs the shop's origin for product links.
    #[error("Shopify's products.json carries handles, not links: give the shop's origin (such as https://shop.example)")]
    NoStore,
    /// The store origin is not an `http(s)` origin.
    #[error("{0:?} is not a shop origin (such as https://shop.example)")]
    BadStore(String),
    /// Not one product could be used.
    #[error("none of the {0} products could be used (each needs an id, a title and a price)")]
    NothingUsable(usize),
}

/// An imported product list.
#[derive(Clone, Debug, PartialEq)]
pub struct Imported {
    /// The usable products, in the list's order.
    pub products: Vec<Product>,
    /// How many were skipped (no id, title or price).
    pub skipped: usize,
}

/// Imports `platform`'s product list.
pub fn import<J: JsonView>(
    platform: Platform,
    json: &J,
    options: &ImportOptions,
) -> Result<Imported, ImportError> {
    match platform {
        Platform::Shopify => {
            let items = json
                .field("products")
                .and_then(|p| p.elements())
                .ok_or(ImportError::NotAList("Shopify"))?;
            let currency = options.currency.clone().ok_or(ImportError::NoCurrency)?;
            let store = options.store.as_deref().ok_or(ImportError::NoStore)?;
            let store = origin(store).ok_or_else(|| ImportError::BadStore(store.to_string()))?;
            finish(items, &|p: &J| shopify_product(p, &store, &currency))
        }
        Platform::WooCommerce => finish(
            json.elements()
                .ok_or(ImportError::NotAList("WooCommerce"))?,
            &woocommerce_product,
        ),
    }
}

fn finish<J: JsonView>(
    items: Vec<J>,
    product: &dyn Fn(&J) -> Option<Product>,
) -> Result<Imported, ImportError> {
    let total = items.len();
    let products: Vec<Product> = items
        .iter()
        .take(MAX_PRODUCTS)
        .filter_map(product)
        .collect();
    if products.is_empty() {
        return Err(ImportError::NothingUsable(total));
    }
    Ok(Imported {
        skipped: total - products.len(),
        products,
    })
}

/// `https://shop.example` from `https://shop.example/` (a trailing slash is fine; a path is not).
fn origin(store: &str) -> Option<String> {
    let store = store.trim().trim_end_matches('/');
    crate::url::origin_of(store).filter(|origin| origin == store)
}

/// An id: a string, or a whole number (Shopify's and WooCommerce's are numbers).
fn id_of<J: JsonView>(json: &J, key: &str) -> Option<String> {
    let value = json.field(key)?;
    if let Some(text) = value.string() {
        let text = text.trim();
        return (!text.is_empty() && text.len() <= 64).then(|| text.to_string());
    }
    let n = value.number()?;
    (n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_992.0).then(|| (n as u64).to_string())
}

/// A shop's own words: tags dropped, HTML entities decoded, control characters removed.
/// WooCommerce names and error messages are HTML (`&#8211;`, `&quot;`, `<a>` links).
pub fn store_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        if c == '<' {
            match rest.find('>') {
                Some(end) => {
                    rest = &rest[end + 1..];
                    continue;
                }
                None => break,
            }
        }
        if c == '&' {
            if let Some((decoded, used)) = entity(rest) {
                out.push(decoded);
                rest = &rest[used..];
                continue;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    clean_text(&out)
}

/// The entity at the start of `text` (`&amp;`, `&#8217;`, `&#x2019;`) and its length.
fn entity(text: &str) -> Option<(char, usize)> {
    let end = text.char_indices().take(12).find(|&(_, c)| c == ';')?.0;
    let name = &text[1..end];
    let c = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "ndash" => '–',
        "mdash" => '—',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "hellip" => '…',
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some((c, end + 1))
}

fn words<J: JsonView>(json: &J, key: &str) -> Option<String> {
    Some(store_text(&json.field(key)?.string()?)).filter(|t| !t.is_empty())
}

fn decimal<J: JsonView>(json: &J, key: &str) -> Option<Amount> {
    let value = json.field(key)?;
    Amount::new(
        value
            .number()
            .or_else(|| parse_decimal(value.string()?.trim()))?,
    )
}

fn shopify_product<J: JsonView>(json: &J, store: &str, currency: &Currency) -> Option<Product> {
    let variants = json.field("variants")?.elements()?;
    let available = |v: &J| v.field("available").and_then(|a| a.boolean()) != Some(false);
    // The variant the shop's own product page selects first: the first one in stock.
    let shown = variants
        .iter()
        .find(|v| available(v))
        .or(variants.first())?;
    let price = decimal(shown, "price")?;
    let original_price = decimal(shown, "compare_at_price").filter(|o| o.get() > price.get());
    let images = json
        .field("images")
        .and_then(|i| i.elements())
        .unwrap_or_default()
        .iter()
        .filter_map(|image| image.field("src")?.string())
        .map(|src| match src.strip_prefix("//") {
            Some(rest) => format!("https://{rest}"),
            None => src,
        })
        .take(8)
        .collect();
    let handle = json
        .field("handle")
        .and_then(|h| h.string())
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    Some(Product {
        id: id_of(json, "id")?,
        title: words(json, "title")?,
        brand: words(json, "vendor"),
        images,
        offers: vec![Offer {
            price,
            price_currency: currency.clone(),
            original_price,
            price_valid_until: None,
            availability: if variants.iter().any(available) {
                Availability::InStock
            } else {
                Availability::SoldOut
            },
            inventory_level: None,
        }],
        url: handle.map(|h| format!("{store}/products/{h}")),
        variant_id: (variants.len() == 1).then(|| id_of(shown, "id")).flatten(),
    })
}

fn woocommerce_product<J: JsonView>(json: &J) -> Option<Product> {
    let prices = json.field("prices")?;
    let minor = prices
        .field("currency_minor_unit")
        .and_then(|m| m.number())
        .filter(|m| (0.0..=4.0).contains(m) && m.fract() == 0.0)
        .unwrap_or(2.0) as i32;
    // Prices are strings of whole minor units: "4200" is 42.00.
    let money = |key: &str| {
        let minor_units = parse_decimal(prices.field(key)?.string()?.trim())?;
        Amount::new(minor_units / 10f64.powi(minor))
    };
    let price = money("price")?;
    let original_price = money("regular_price").filter(|o| o.get() > price.get());
    let in_stock = json.field("is_in_stock").and_then(|s| s.boolean()) != Some(false);
    let low = json
        .field("low_stock_remaining")
        .and_then(|n| n.number())
        .filter(|n| *n >= 0.0 && n.fract() == 0.0 && *n <= u32::MAX as f64)
        .map(|n| n as u32);
    let purchasable = json.field("is_purchasable").and_then(|p| p.boolean()) != Some(false);
    let simple = json.field("type").and_then(|t| t.string()).as_deref() == Some("simple");
    let id = id_of(json, "id")?;
    Some(Product {
        title: words(json, "name")?,
        brand: json
            .field("brands")
            .and_then(|b| b.elements())
            .and_then(|b| b.into_iter().next())
            .and_then(|b| words(&b, "name")),
        images: json
            .field("images")
            .and_then(|i| i.elements())
            .unwrap_or_default()
            .iter()
            .filter_map(|image| image.field("src")?.string())
            .take(8)
            .collect(),
        offers: vec![Offer {
            price,
            price_currency: Currency::parse(&prices.field("currency_code")?.string()?)?,
            original_price,
            price_valid_until: None,
            availability: match (in_stock, low) {
                (false, _) => Availability::SoldOut,
                (true, Some(_)) => Availability::LimitedAvailability,
                (true, None) => Availability::InStock,
            },
            inventory_level: low.filter(|_| in_stock),
        }],
        url: json.field("permalink").and_then(|p| p.string()),
        variant_id: (simple && purchasable).then(|| id.clone()),
        id,
    })
}

/// The header in which WooCommerce's Store API gives its nonce, and takes it back with an add.
pub const NONCE_HEADER: &str = "nonce";

/// The Store API's cart, under the shop's root.
const WOO_CART: &str = "wp-json/wc/store/v1/cart";

/// A request to a shop's cart, to send from the page with the shopper's session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CartCall {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// Relative to the page unless `root` was absolute.
    pub url: String,
    /// Headers besides `content-type: application/json`.
    pub headers: Vec<(&'static str, String)>,
    /// JSON body, for `POST`.
    pub body: Option<String>,
}

/// What the shop answered to an add.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CartStep {
    /// In the cart.
    Added,
    /// The shop refused; its own words when it gave some (it localises them itself), as HTML
    /// (WooCommerce's carry entities and links): the widget shows their text.
    Refused(Option<String>),
    /// The shop did not answer usably (a server error, a page instead of JSON): worth a retry.
    Failed,
}

/// Adds to a shop's own cart. Shopify takes one request; WooCommerce first reads the Store
/// API's `Nonce` from the cart, then adds with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShopCart {
    platform: Platform,
    root: String,
}

impl ShopCart {
    /// A cart at `root`, the shop's path on the page's origin: `/` unless the shop lives under a
    /// path (a Shopify market's `/fr/`, a WordPress in `/shop/`).
    pub fn new(platform: Platform, root: &str) -> Self {
        let mut root = root.trim().to_string();
        if !root.ends_with('/') {
            root.push('/');
        }
        Self { platform, root }
    }

    /// The cart a page names with `cart` (a platform) and `cart-root`. A root the page gives
    /// wins; a Shopify store's own `Shopify.routes.root` (a market's `/fr/`, asked only for
    /// Shopify) comes next; else `/`. `None` for a platform this version does not know.
    pub fn for_page(
        cart: &str,
        root: Option<&str>,
        shopify_root: impl FnOnce() -> Option<String>,
    ) -> Option<Self> {
        let platform = Platform::parse(cart)?;
        let root = match (root, platform) {
            (Some(root), _) => root.to_string(),
            (None, Platform::Shopify) => shopify_root().unwrap_or_else(|| "/".into()),
            (None, Platform::WooCommerce) => "/".into(),
        };
        Some(Self::new(platform, &root))
    }

    /// The options (`cart`, `cartRoot`) that carry `cart` to an on-demand part.
    pub fn options(cart: Option<&Self>) -> [(&'static str, Option<String>); 2] {
        [
            ("cart", cart.map(|c| c.platform.name().to_string())),
            ("cartRoot", cart.map(|c| c.root.clone())),
        ]
    }

    /// The cart those options carried; `None` when they name none this version knows.
    pub fn from_options(cart: Option<&str>, root: Option<&str>) -> Option<Self> {
        Some(Self::new(Platform::parse(cart?)?, root.unwrap_or("/")))
    }

    /// The shop's platform.
    pub fn platform(&self) -> Platform {
        self.platform
    }

    /// The shop's path on the page's origin, ending in `/`.
    pub fn root(&self) -> &str {
        &self.root
    }

    /// The first request of an add of `quantity` of the shop's item `variant_id`: Shopify's
    /// add itself, WooCommerce's read of the cart for its nonce.
    pub fn start(&self, variant_id: &str, quantity: u32) -> CartCall {
        match self.platform {
            Platform::Shopify => self.add(None, variant_id, quantity),
            Platform::WooCommerce => CartCall {
                method: "GET",
                url: format!("{}{WOO_CART}", self.root),
                headers: Vec::new(),
                body: None,
            },
        }
    }

    fn add_call(&self, nonce: Option<String>, variant_id: &str, quantity: u32) -> CartCall {
        // Shopify and WooCommerce ids are numbers; send them as numbers when they are.
        let id = if !variant_id.is_empty() && variant_id.bytes().all(|b| b.is_ascii_digit()) {
            variant_id.to_string()
        } else {
            quote(variant_id)
        };
        match self.platform {
            Platform::Shopify => CartCall {
                method: "POST",
                url: format!("{}cart/add.js", self.root),
                headers: vec![("accept", "application/json".into())],
                body: Some(format!(
                    "{{\"items\":[{{\"id\":{id},\"quantity\":{quantity}}}]}}"
                )),
            },
            Platform::WooCommerce => CartCall {
                method: "POST",
                url: format!("{}{WOO_CART}/add-item", self.root),
                headers: nonce.map(|n| vec![(NONCE_HEADER, n)]).unwrap_or_default(),
                body: Some(format!("{{\"id\":{id},\"quantity\":{quantity}}}")),
            },
        }
    }

    /// The request that adds: Shopify's at once, WooCommerce's with the `Nonce` header the cart
    /// answered (`None` when it gave none, as for a shop that does not check nonces).
    pub fn add(&self, nonce: Option<&str>, variant_id: &str, quantity: u32) -> CartCall {
        let nonce = nonce
            .map(str::trim)
            .filter(|n| !n.is_empty() && n.len() <= 256);
        self.add_call(nonce.map(str::to_string), variant_id, quantity)
    }

    /// Whether `call` is the add itself (rather than WooCommerce's first read of the cart).
    pub fn is_add(&self, call: &CartCall) -> bool {
        call.method == "POST"
    }

    /// What the shop's answer to the add means. `body` is the answer parsed as JSON, when it
    /// was JSON.
    pub fn outcome<J: JsonView>(&self, status: u16, body: Option<&J>) -> CartStep {
        if (200..300).contains(&status) {
            return CartStep::Added;
        }
        if status >= 500 || status == 408 || status == 429 {
            return CartStep::Failed;
        }
        // Shopify: {"status":422,"message":"Cart Error","description":"…"};
        // WooCommerce: {"code":"woocommerce_rest_…","message":"…","data":{"status":400}}.
        let key = match self.platform {
            Platform::Shopify => "description",
            Platform::WooCommerce => "message",
        };
        CartStep::Refused(body.and_then(|b| b.field(key)?.string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn shopify_options() -> ImportOptions {
        ImportOptions {
            store: Some("https://shop.example/".into()),
            currency: Currency::parse("EUR"),
        }
    }

    /// Shaped as a Shopify store's `/products.json`.
    fn shopify_list() -> Value {
        json!({"products": [
            {"id": 7_301_234_567_890_u64, "title": "Wool Beanie", "handle": "wool-beanie",
             "vendor": "Nordwind", "product_type": "Hats",
             "variants": [{"id": 42_000_000_000_001_u64, "title": "Default Title",
                           "price": "19.90", "compare_at_price": "29.00", "available": true}],
             "images": [{"id": 1, "src": "//cdn.shopify.com/s/files/beanie.jpg"}]},
            {"id": 7_301_234_567_891_u64, "title": "Rain Jacket", "handle": "rain-jacket",
             "vendor": "Nordwind",
             "variants": [
                 {"id": 42_000_000_000_002_u64, "title": "S", "price": "89.00",
                  "compare_at_price": null, "available": false},
                 {"id": 42_000_000_000_003_u64, "title": "M", "price": "95.00",
                  "compare_at_price": "80.00", "available": true}],
             "images": []},
            {"id": 7_301_234_567_892_u64, "title": "Sold-out Mug", "handle": "mug",
             "variants": [{"id": 42_000_000_000_004_u64, "price": "9.00", "available": false}]},
            {"id": 7_301_234_567_893_u64, "title": "", "handle": "untitled",
             "variants": [{"id": 1, "price": "1.00"}]},
            {"id": 7_301_234_567_894_u64, "title": "No price", "variants": [{"id": 2}]}
        ]})
    }

    /// Shaped as WooCommerce's `GET /wp-json/wc/store/v1/products`.
    fn woocommerce_list() -> Value {
        json!([
            {"id": 34, "name": "Beanie &#8211; &quot;Wool&quot;", "slug": "beanie", "type": "simple",
             "permalink": "https://shop.example/product/beanie/",
             "prices": {"price": "1800", "regular_price": "2000", "sale_price": "1800",
                        "currency_code": "USD", "currency_minor_unit": 2},
             "images": [{"id": 9, "src": "https://shop.example/wp-content/uploads/beanie.jpg"}],
             "is_in_stock": true, "is_purchasable": true, "low_stock_remaining": 3,
             "brands": [{"id": 1, "name": "Nordwind"}]},
            {"id": 35, "name": "Hoodie", "type": "variable",
             "permalink": "https://shop.example/product/hoodie/",
             "prices": {"price": "4200", "regular_price": "4200", "currency_code": "USD",
                        "currency_minor_unit": 2},
             "is_in_stock": true, "is_purchasable": true, "low_stock_remaining": null},
            {"id": 36, "name": "Yen priced", "type": "simple",
             "prices": {"price": "1500", "regular_price": "1500", "currency_code": "JPY",
                        "currency_minor_unit": 0},
             "is_in_stock": false},
            {"id": 37, "name": "No currency", "prices": {"price": "100"}}
        ])
    }

    #[test]
    fn detects_each_platforms_list() {
        assert_eq!(Platform::detect(&shopify_list()), Some(Platform::Shopify));
        assert_eq!(
            Platform::detect(&woocommerce_list()),
            Some(Platform::WooCommerce)
        );
        assert_eq!(
            Platform::detect(&json!({"products": [{"id": "p01"}]})),
            None
        );
        assert_eq!(Platform::detect(&json!([])), None);
        assert_eq!(Platform::parse(" Shopify "), Some(Platform::Shopify));
        assert_eq!(Platform::parse("magento"), None);
    }

    #[test]
    fn a_shopify_list_becomes_products() {
        let imported = import(Platform::Shopify, &shopify_list(), &shopify_options()).unwrap();
        assert_eq!(
            imported.skipped, 2,
            "untitled and unpriced products are skipped"
        );
        let [beanie, jacket, mug] = &imported.products[..] else {
            panic!("{:?}", imported.products)
        };
        assert_eq!(beanie.id, "7301234567890");
        assert_eq!(beanie.brand.as_deref(), Some("Nordwind"));
        assert_eq!(
            beanie.url.as_deref(),
            Some("https://shop.example/products/wool-beanie")
        );
        assert_eq!(
            beanie.images,
            ["https://cdn.shopify.com/s/files/beanie.jpg"]
        );
        let offer = beanie.offer().unwrap();
        assert_eq!(
            (offer.price.get(), offer.price_currency.as_str()),
            (19.9, "EUR")
        );
        assert_eq!(offer.percent_off(), Some(31));
        assert_eq!(beanie.variant_id.as_deref(), Some("42000000000001"));

        // Sizes to choose from: the first size in stock is shown, the page asks for the size.
        let offer = jacket.offer().unwrap();
        assert_eq!(offer.price.get(), 95.0);
        assert_eq!(
            offer.original_price, None,
            "a compare-at price below the price is no deal"
        );
        assert_eq!(offer.availability, Availability::InStock);
        assert_eq!(jacket.variant_id, None);

        assert_eq!(mug.offer().unwrap().availability, Availability::SoldOut);
    }

    #[test]
    fn shopify_needs_the_shops_currency_and_origin() {
        let list = shopify_list();
        let no_currency = ImportOptions {
            currency: None,
            ..shopify_options()
        };
        assert_eq!(
            import(Platform::Shopify, &list, &no_currency),
            Err(ImportError::NoCurrency)
        );
        let no_store = ImportOptions {
            store: None,
            ..shopify_options()
        };
        assert_eq!(
            import(Platform::Shopify, &list, &no_store),
            Err(ImportError::NoStore)
        );
        for bad in [
            "shop.example",
            "https://shop.example/fr",
            "javascript:x",
            "https://",
        ] {
            let options = ImportOptions {
                store: Some(bad.into()),
                ..shopify_options()
            };
            assert_eq!(
                import(Platform::Shopify, &list, &options),
                Err(ImportError::BadStore(bad.into()))
            );
        }
        assert_eq!(
            import(Platform::Shopify, &json!([]), &shopify_options()),
            Err(ImportError::NotAList("Shopify"))
        );
        assert_eq!(
            import(
                Platform::Shopify,
                &json!({"products": [{"title": "x"}]}),
                &shopify_options()
            ),
            Err(ImportError::NothingUsable(1))
        );
    }

    #[test]
    fn a_woocommerce_list_becomes_products() {
        let imported = import(
            Platform::WooCommerce,
            &woocommerce_list(),
            &ImportOptions::default(),
        )
        .unwrap();
        assert_eq!(imported.skipped, 1);
        let [beanie, hoodie, yen] = &imported.products[..] else {
            panic!("{:?}", imported.products)
        };
        assert_eq!(beanie.title, "Beanie – \"Wool\"");
        assert_eq!(beanie.brand.as_deref(), Some("Nordwind"));
        let offer = beanie.offer().unwrap();
        assert_eq!(
            (offer.price.get(), offer.price_currency.as_str()),
            (18.0, "USD")
        );
        assert_eq!(offer.original_price.map(Amount::get), Some(20.0));
        assert_eq!(
            (offer.availability, offer.inventory_level),
            (Availability::LimitedAvailability, Some(3))
        );
        assert_eq!(beanie.variant_id.as_deref(), Some("34"));
        assert_eq!(
            beanie.url.as_deref(),
            Some("https://shop.example/product/beanie/")
        );
        assert_eq!(hoodie.variant_id, None, "a variable product opens its page");
        assert_eq!(hoodie.offer().unwrap().original_price, None);
        let offer = yen.offer().unwrap();
        assert_eq!(
            (offer.price.get(), offer.availability),
            (1500.0, Availability::SoldOut)
        );
        assert_eq!(
            import(Platform::WooCommerce, &json!({}), &ImportOptions::default()),
            Err(ImportError::NotAList("WooCommerce"))
        );
    }

    #[test]
    fn shop_text_loses_its_markup() {
        assert_eq!(
            store_text("You cannot add &quot;Beanie&quot; &#8211; <a href=\"/cart\">View cart</a>"),
            "You cannot add \"Beanie\" – View cart"
        );
        assert_eq!(store_text("Tom &amp; Jerry&#x2019;s"), "Tom & Jerry’s");
        assert_eq!(
            store_text("Add &ldquo;Beanie&rdquo;&hellip;"),
            "Add “Beanie”…"
        );
        assert_eq!(
            store_text("5 &lt; 6 & 7 &bogus; &#xZZ;"),
            "5 < 6 & 7 &bogus; &#xZZ;"
        );
        assert_eq!(store_text("cut <b"), "cut");
        assert_eq!(store_text("&#1;&#0;"), "");
    }

    #[test]
    fn shopify_adds_in_one_request() {
        let cart = ShopCart::new(Platform::Shopify, "/fr");
        let call = cart.add(None, "42000000000001", 2);
        assert_eq!(call.method, "POST");
        assert_eq!(call.url, "/fr/cart/add.js");
        let body: Value = serde_json::from_str(call.body.as_deref().unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"items": [{"id": 42_000_000_000_001_u64, "quantity": 2}]})
        );
        assert_eq!(cart.start("42000000000001", 2), call);

        let refused = json!({"status": 422, "message": "Cart Error",
            "description": "All 1 Wool Beanie are in your cart."});
        assert_eq!(
            cart.outcome(422, Some(&refused)),
            CartStep::Refused(Some("All 1 Wool Beanie are in your cart.".into()))
        );
        assert_eq!(cart.outcome::<Value>(200, None), CartStep::Added);
        assert_eq!(cart.outcome::<Value>(404, None), CartStep::Refused(None));
        assert_eq!(cart.outcome::<Value>(503, None), CartStep::Failed);
        assert_eq!(cart.outcome::<Value>(429, None), CartStep::Failed);
    }

    #[test]
    fn the_page_names_the_cart_and_where_it_lives() {
        let asked = std::cell::Cell::new(0);
        let market = || {
            asked.set(asked.get() + 1);
            Some("/fr/".to_string())
        };
        let shopify = ShopCart::for_page("shopify", None, market).unwrap();
        assert_eq!(
            (shopify.platform(), shopify.root()),
            (Platform::Shopify, "/fr/")
        );
        let named = ShopCart::for_page("Shopify", Some("/shop"), market).unwrap();
        assert_eq!(named.root(), "/shop/", "the page's own root wins");
        assert_eq!(
            ShopCart::for_page("shopify", None, || None).unwrap().root(),
            "/"
        );
        let woo = ShopCart::for_page("woocommerce", None, market).unwrap();
        assert_eq!(woo.root(), "/");
        assert_eq!(
            asked.get(),
            1,
            "Shopify's root is asked of Shopify stores only"
        );
        assert_eq!(ShopCart::for_page("magento", None, market), None);

        // Carried to a part and back.
        let [(cart_key, cart), (root_key, root)] = ShopCart::options(Some(&shopify));
        assert_eq!((cart_key, root_key), ("cart", "cartRoot"));
        assert_eq!(
            ShopCart::from_options(cart.as_deref(), root.as_deref()),
            Some(shopify)
        );
        assert_eq!(
            ShopCart::options(None),
            [("cart", None), ("cartRoot", None)]
        );
        assert_eq!(ShopCart::from_options(None, Some("/fr/")), None);
        assert_eq!(ShopCart::from_options(Some("bogus"), None), None);
    }

    #[test]
    fn woocommerce_reads_the_nonce_then_adds() {
        let cart = ShopCart::new(Platform::WooCommerce, "/");
        let first = cart.start("34", 1);
        assert_eq!(
            (first.method, first.url.as_str()),
            ("GET", "/wp-json/wc/store/v1/cart")
        );
        assert!(!cart.is_add(&first));
        let add = cart.add(Some(" abc123 "), "34", 1);
        assert_eq!(add.url, "/wp-json/wc/store/v1/cart/add-item");
        assert_eq!(add.headers, [("nonce", "abc123".to_string())]);
        assert_eq!(add.body.as_deref(), Some("{\"id\":34,\"quantity\":1}"));
        assert!(cart.add(None, "34", 1).headers.is_empty());
        assert_eq!(
            cart.add(None, "sku\"1", 1).body.as_deref(),
            Some("{\"id\":\"sku\\\"1\",\"quantity\":1}")
        );

        let refused = json!({"code": "woocommerce_rest_cart_product_no_stock",
            "message": "You cannot add &quot;Beanie&quot; to the cart because the product is out of stock.",
            "data": {"status": 400}});
        assert_eq!(
            cart.outcome(400, Some(&refused)),
            CartStep::Refused(Some(
                "You cannot add &quot;Beanie&quot; to the cart because the product is out of stock."
                    .into()
            ))
        );
        assert_eq!(cart.outcome::<Value>(201, None), CartStep::Added);
    }
}
