//! The shop's products: the embedded sample shop (photos from Debian's
//! `tuxpaint-stamps-default`, fetched at setup) or a shop's own product list
//! (`--catalog`, through [`live_shop_core::adapter`]), the demo stream's shelf, and upcoming
//! events.
use live_shop_core::adapter::{self, ImportOptions, Platform};
use live_shop_core::error::BackendError;
use live_shop_core::json::decode_value;
use live_shop_core::protocol::{Currency, LiveEvent, Millis, Product};

const CATALOG_JSON: &str = include_str!("../data/catalog.json");

/// The shop's products.
#[derive(Clone, Debug)]
pub struct Catalog {
    /// All products, in catalog order.
    pub products: Vec<Product>,
    /// The demo shelf takes every `shelf_step`th product.
    shelf_step: usize,
}

/// A `--catalog` file that cannot be served, in words for the shop's owner.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// Not JSON.
    #[error("{0} is not JSON: {1}")]
    NotJson(String, String),
    /// A platform's list that the adapter refused.
    #[error("{0}: {1}{hint}", hint = flag_for(.1))]
    Import(String, adapter::ImportError),
    /// Not a list this server knows.
    #[error("{0} is neither a Shopify products.json, a WooCommerce Store API product list, nor live-shop's {{\"products\": [...]}}")]
    Unknown(String),
    /// `--catalog-currency` is not a currency code.
    #[error("--catalog-currency {0:?} is not a currency code such as EUR")]
    Currency(String),
    /// Two products with one id.
    #[error("{0}: the id {1:?} is used twice")]
    DuplicateId(String, String),
    /// A photo path that would leave the media folder: (file, product id, path).
    #[error("{0}: product {1:?} has the photo {2:?}, which is not a file inside the media folder (an absolute path, or one with `..`)")]
    MediaPath(String, String, String),
}

/// Where a product photo's bytes are, given its `src` in the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Photo<'a> {
    /// A file inside the media folder, by its path relative to that folder.
    Media(&'a str),
    /// An `http(s)` address (a shop's CDN).
    Remote(&'a str),
    /// `/media/` followed by a path that would leave the media folder: refused.
    Escapes(&'a str),
    /// Something else: no photo this server can read.
    Other(&'a str),
}

impl<'a> Photo<'a> {
    /// Reads `src`. A path under `/media/` counts only if each of its parts is a plain name:
    /// not empty (so not absolute, as in `/media//etc/passwd`), not `.` or `..`, without `\`,
    /// `:` or control characters.
    pub fn of(src: &'a str) -> Self {
        match src.strip_prefix("/media/") {
            Some(path) => {
                let plain = |part: &str| {
                    !part.is_empty()
                        && part != "."
                        && part != ".."
                        && !part.contains(['\\', ':'])
                        && !part.chars().any(char::is_control)
                };
                if path.split('/').all(plain) {
                    Self::Media(path)
                } else {
                    Self::Escapes(src)
                }
            }
            None if crate::fetch::is_url(src) => Self::Remote(src),
            None => Self::Other(src),
        }
    }
}

/// The flag that gives what an import lacked.
fn flag_for(error: &adapter::ImportError) -> &'static str {
    match error {
        adapter::ImportError::NoCurrency => " with --catalog-currency",
        adapter::ImportError::NoStore | adapter::ImportError::BadStore(_) => {
            " with --catalog-store"
        }
        _ => "",
    }
}

/// Most bytes one page of a shop's product list may have.
const MAX_LIST_BYTES: u64 = 64 * 1024 * 1024;

/// Reads each `--catalog` source, a file or an `http(s)` address, as `(name, bytes)` for
/// [`Catalog::load`].
pub fn read_sources(sources: &[String]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let agent = crate::fetch::agent(crate::fetch::Reach::Anywhere);
    sources
        .iter()
        .map(|source| {
            let bytes = if crate::fetch::is_url(source) {
                crate::fetch::get(&agent, source, MAX_LIST_BYTES)
                    .map_err(|e| format!("cannot fetch --catalog {source}: {e}"))?
            } else {
                std::fs::read(source).map_err(|e| format!("cannot read --catalog {source}: {e}"))?
            };
            Ok((source.clone(), bytes))
        })
        .collect()
}

impl Catalog {
    /// The embedded sample shop. Strict: every product must decode.
    pub fn embedded() -> Result<Self, BackendError> {
        let file: serde_json::Value = serde_json::from_str(CATALOG_JSON)
            .map_err(|e| BackendError::Protocol(e.to_string()))?;
        let items = file
            .get("products")
            .and_then(|p| p.as_array())
            .ok_or_else(|| BackendError::Protocol("no products".into()))?;
        let products = items
            .iter()
            .map(decode_value)
            .collect::<Result<Vec<Product>, _>>()?;
        Ok(Self {
            products,
            shelf_step: 4,
        })
    }

    /// A shop's own product list, from one or more files given as `(name, bytes)`: the pages
    /// of a list the shop serves a page at a time (Shopify's `products.json?page=2`, the Store
    /// API's `?page=2`). Returns the catalog and how many products were skipped as unusable.
    pub fn load(
        files: &[(String, Vec<u8>)],
        store: Option<&str>,
        currency: Option<&str>,
    ) -> Result<(Self, usize), CatalogError> {
        let mut products = Vec::new();
        let mut skipped = 0;
        let mut seen = std::collections::HashSet::new();
        for (name, bytes) in files {
            let (page, unusable) = Self::page(name, bytes, store, currency)?;
            for product in page {
                if let Some(Photo::Escapes(src)) = product
                    .images
                    .iter()
                    .map(|s| Photo::of(s))
                    .find(|p| matches!(p, Photo::Escapes(_)))
                {
                    return Err(CatalogError::MediaPath(
                        name.clone(),
                        product.id,
                        src.into(),
                    ));
                }
                if !seen.insert(product.id.clone()) {
                    return Err(CatalogError::DuplicateId(name.clone(), product.id));
                }
                products.push(product);
            }
            skipped += unusable;
        }
        Ok((
            Self {
                products,
                shelf_step: 1,
            },
            skipped,
        ))
    }

    fn page(
        name: &str,
        bytes: &[u8],
        store: Option<&str>,
        currency: Option<&str>,
    ) -> Result<(Vec<Product>, usize), CatalogError> {
        let json: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| CatalogError::NotJson(name.into(), e.to_string()))?;
        let currency = currency
            .map(|c| Currency::parse(c).ok_or_else(|| CatalogError::Currency(c.into())))
            .transpose()?;
        match Platform::detect(&json) {
            Some(platform) => {
                let options = ImportOptions {
                    store: store.map(str::to_string),
                    currency,
                };
                let imported = adapter::import(platform, &json, &options)
                    .map_err(|e| CatalogError::Import(name.into(), e))?;
                Ok((imported.products, imported.skipped))
            }
            None => {
                let items = json
                    .get("products")
                    .and_then(|p| p.as_array())
                    .ok_or_else(|| CatalogError::Unknown(name.into()))?;
                let products: Vec<Product> =
                    items.iter().filter_map(|p| decode_value(p).ok()).collect();
                if products.is_empty() {
                    return Err(CatalogError::Unknown(name.into()));
                }
                let skipped = items.len() - products.len();
                Ok((products, skipped))
            }
        }
    }

    /// A catalog of `products` whose demo shelf takes every `shelf_step`th (at least 1).
    pub fn from_parts(products: Vec<Product>, shelf_step: usize) -> Self {
        Self {
            products,
            shelf_step: shelf_step.max(1),
        }
    }

    /// The demo shelf takes every `shelf_step`th product.
    pub fn shelf_step(&self) -> usize {
        self.shelf_step
    }

    /// A product by id.
    pub fn get(&self, id: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.id == id)
    }

    /// Products whose title or brand contains every word of `query`, case-insensitively.
    pub fn search<'a>(&'a self, query: &str) -> impl Iterator<Item = &'a Product> + 'a {
        let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        self.products.iter().filter(move |p| {
            let haystack =
                format!("{} {}", p.title, p.brand.as_deref().unwrap_or("")).to_lowercase();
            words.iter().all(|w| haystack.contains(w.as_str()))
        })
    }

    /// The demo stream's shelf, twelve products: of the sample shop, the first of each run of
    /// four; of a shop's own list, its first twelve.
    pub fn demo_shelf(&self) -> Vec<Product> {
        self.products
            .iter()
            .step_by(self.shelf_step)
            .take(12)
            .cloned()
            .collect()
    }
}

/// Two upcoming shows, at whole hours one and three days after `now`.
pub fn upcoming_events(now: Millis) -> Vec<LiveEvent> {
    const HOUR: Millis = 3_600_000;
    let next_hour = (now / HOUR + 1) * HOUR;
    let event =
        |id: &str, title: &str, host: &str, hours_ahead: Millis, length_h: Millis| LiveEvent {
            id: id.into(),
            title: title.into(),
            host: Some(host.into()),
            starts_at: next_hour + hours_ahead * HOUR,
            ends_at: next_hour + (hours_ahead + length_h) * HOUR,
            stream_id: Some("demo".into()),
            url: Some("/".into()),
        };
    vec![
        event(
            "fall-deals-finale",
            "Fall Deals For You: the finale",
            "Nordwind × Maison Lumen",
            24,
            1,
        ),
        event(
            "kitchen-live",
            "Kitchen Live: cook & shop",
            "Hearth & Co",
            72,
            2,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_shop_is_complete() {
        let catalog = Catalog::embedded().unwrap();
        assert!(catalog.products.len() >= 40);
        let currencies: std::collections::HashSet<_> = catalog
            .products
            .iter()
            .filter_map(|p| p.offer().map(|o| o.price_currency.as_str().to_string()))
            .collect();
        assert!(currencies.len() >= 3, "{currencies:?}");
        assert!(catalog
            .products
            .iter()
            .all(|p| !p.images.is_empty() && p.offer().is_some()));
        assert_eq!(catalog.demo_shelf().len(), 12);
    }

    #[test]
    fn search_matches_title_and_brand() {
        let catalog = Catalog::embedded().unwrap();
        let hits: Vec<_> = catalog
            .search("FEDORA felt")
            .map(|p| p.id.as_str())
            .collect();
        assert_eq!(hits.len(), 2);
        assert!(catalog.search("court king").count() >= 4);
        assert_eq!(catalog.search("").count(), catalog.products.len());
    }

    fn file(name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
        (name.to_string(), bytes.to_vec())
    }

    #[test]
    fn a_shops_own_list_replaces_the_sample_shop() {
        let woo = br#"[{"id": 34, "name": "Beanie", "type": "simple",
            "prices": {"price": "1800", "regular_price": "2000", "currency_code": "USD",
                       "currency_minor_unit": 2}},
            {"id": 35, "name": "no price", "prices": {}}]"#;
        let (catalog, skipped) = Catalog::load(&[file("woo.json", woo)], None, None).unwrap();
        assert_eq!((catalog.products.len(), skipped), (1, 1));
        assert_eq!(catalog.demo_shelf()[0].variant_id.as_deref(), Some("34"));

        let shopify = br#"{"products": [{"id": 1, "title": "Mug", "handle": "mug",
            "variants": [{"id": 11, "price": "9.50"}]}]}"#;
        let shop = [file("shop.json", shopify)];
        let err = Catalog::load(&shop, None, Some("EUR")).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("shop's origin (such as https://shop.example) with --catalog-store"),
            "{err}"
        );
        let err = Catalog::load(&shop, Some("https://s.example"), Some("euro")).unwrap_err();
        assert!(
            err.to_string().contains("\"euro\" is not a currency"),
            "{err}"
        );
        let (catalog, _) = Catalog::load(&shop, Some("https://s.example"), Some("eur")).unwrap();
        assert_eq!(
            catalog.get("1").and_then(|p| p.url.as_deref()),
            Some("https://s.example/products/mug")
        );

        let own = br#"{"products": [{"id": "a", "title": "A", "images": [],
            "offers": [{"price": 1, "priceCurrency": "EUR"}]},
            {"id": "a", "title": "again", "images": [], "offers": []}]}"#;
        let err = Catalog::load(&[file("own.json", own)], None, None).unwrap_err();
        assert!(err.to_string().contains("\"a\" is used twice"), "{err}");
        for junk in [&b"<html>"[..], b"{}", b"[1, 2]"] {
            assert!(Catalog::load(&[file("x.json", junk)], None, None).is_err());
        }
    }

    #[test]
    fn a_photo_path_that_leaves_the_media_folder_is_refused() {
        assert_eq!(Photo::of("/media/img/a.png"), Photo::Media("img/a.png"));
        assert_eq!(
            Photo::of("https://cdn.example/a.png"),
            Photo::Remote("https://cdn.example/a.png")
        );
        assert_eq!(Photo::of("a.png"), Photo::Other("a.png"));
        for escape in [
            "/media//dev/zero",
            "/media/../etc/passwd",
            "/media/img/../../x",
            "/media/./a.png",
            "/media/img//a.png",
            "/media/",
            "/media/C:\\x",
            "/media/img\\..\\x",
        ] {
            assert_eq!(Photo::of(escape), Photo::Escapes(escape), "{escape}");
        }
        // A list whose photo is /media//dev/zero is refused at import, naming the product.
        let own = br#"{"products": [{"id": "a", "title": "A", "images": ["/media/a.png"],
            "offers": [{"price": 1, "priceCurrency": "EUR"}]},
            {"id": "z", "title": "Z", "images": ["/media//dev/zero"],
            "offers": [{"price": 1, "priceCurrency": "EUR"}]}]}"#;
        let err = Catalog::load(&[file("own.json", own)], None, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "own.json: product \"z\" has the photo \"/media//dev/zero\", which is not a file \
             inside the media folder (an absolute path, or one with `..`)"
        );
    }

    #[test]
    fn a_list_served_a_page_at_a_time_is_read_from_each_page() {
        let page = |ids: [u32; 2]| {
            let items: Vec<String> = ids
                .iter()
                .map(|id| {
                    format!(
                        r#"{{"id": {id}, "name": "P{id}", "type": "simple",
                            "prices": {{"price": "100", "currency_code": "USD"}}}}"#
                    )
                })
                .collect();
            format!("[{}]", items.join(",")).into_bytes()
        };
        let pages = [
            ("page1.json".to_string(), page([1, 2])),
            ("page2.json".to_string(), page([3, 4])),
        ];
        let (catalog, _) = Catalog::load(&pages, None, None).unwrap();
        let ids: Vec<&str> = catalog.products.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["1", "2", "3", "4"]);
        // The same page twice is a mistake, not twice the shop.
        let twice = [pages[0].clone(), pages[0].clone()];
        let err = Catalog::load(&twice, None, None).unwrap_err();
        assert!(
            err.to_string().starts_with("page1.json: the id \"1\""),
            "{err}"
        );
    }

    #[test]
    fn a_list_is_read_from_a_file_or_fetched_from_its_address() {
        use std::io::{Read, Write};
        let item = |id: u32| {
            format!(
                r#"[{{"id": {id}, "name": "P{id}", "type": "simple",
                    "prices": {{"price": "100", "currency_code": "USD"}}}}]"#
            )
        };
        // The shop, on loopback: answers one request with the first page.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let first = item(7);
        let shop = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = [0u8; 4096];
            let n = stream.read(&mut request).unwrap();
            let line = String::from_utf8_lossy(&request[..n])
                .lines()
                .next()
                .unwrap()
                .to_string();
            write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{first}",
                first.len()
            )
            .unwrap();
            line
        });
        let page2 =
            std::env::temp_dir().join(format!("live-shop-page2-{}.json", std::process::id()));
        std::fs::write(&page2, item(8)).unwrap();
        let url = format!("http://{address}/wp-json/wc/store/v1/products?per_page=100");
        let sources = [url.clone(), page2.display().to_string()];
        let files = read_sources(&sources).unwrap();
        std::fs::remove_file(&page2).unwrap();
        assert_eq!(
            shop.join().unwrap(),
            "GET /wp-json/wc/store/v1/products?per_page=100 HTTP/1.1"
        );
        assert_eq!(files[0].0, url);
        let (catalog, _) = Catalog::load(&files, None, None).unwrap();
        let ids: Vec<&str> = catalog.products.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["7", "8"]);

        // What cannot be read is named.
        let err = read_sources(&["/nonexistent/list.json".into()]).unwrap_err();
        assert!(
            err.starts_with("cannot read --catalog /nonexistent/list.json"),
            "{err}"
        );
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let gone = format!("http://{}/products.json", closed.local_addr().unwrap());
        drop(closed);
        let err = read_sources(std::slice::from_ref(&gone)).unwrap_err();
        assert!(
            err.starts_with(&format!("cannot fetch --catalog {gone}")),
            "{err}"
        );
    }

    #[test]
    fn events_are_upcoming() {
        let now = 1_795_000_000_000;
        let events = upcoming_events(now);
        assert_eq!(events.len(), 2);
        assert!(events
            .iter()
            .all(|e| e.starts_at > now && e.ends_at > e.starts_at));
    }
}
