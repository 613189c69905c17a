//! The embedded sample shop: products (photos from Debian's `tuxpaint-stamps-default`, fetched at
//! setup), the demo stream's shelf, and upcoming events.
use live_shop_core::error::BackendError;
use live_shop_core::json::decode_value;
use live_shop_core::protocol::{LiveEvent, Millis, Product};

const CATALOG_JSON: &str = include_str!("../data/catalog.json");

/// The shop's products.
#[derive(Clone, Debug)]
pub struct Catalog {
    /// All products, in catalog order.
    pub products: Vec<Product>,
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
        Ok(Self { products })
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

    /// The demo stream's shelf: the first of each run of three products, twelve in all.
    pub fn demo_shelf(&self) -> Vec<Product> {
        self.products.iter().step_by(4).take(12).cloned().collect()
    }

    /// Every photo path the catalog uses, relative to the media folder.
    pub fn media_paths(&self) -> impl Iterator<Item = &str> {
        self.products
            .iter()
            .flat_map(|p| p.images.iter())
            .filter_map(|src| src.strip_prefix("/media/"))
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
