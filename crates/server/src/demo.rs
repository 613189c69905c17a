//! The scripted demo show on stream `demo`: it pins products, runs flash deals with countdowns,
//! and simulated buyers draw stock down until a deal sells out or expires. It loops forever.
use std::sync::Arc;
use std::time::Duration;

use live_shop_core::protocol::{
    Amount, Availability, Banner, CartItemRequest, Change, DealStatus, FlashDeal, Offer,
};

use crate::api::AppState;
use crate::now_ms;

/// Most units of a demo deal one shopper may buy.
pub const LIMIT_PER_SHOPPER: u32 = 3;

/// A tiny xorshift generator: the show and the generated evaluation queries need variety and
/// repeatability, not cryptography.
pub struct Dice(pub u64);

impl Dice {
    /// The next raw value; the seed must not be zero.
    pub fn roll(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A whole number from `low` to `high`, inclusive.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.roll() % (high - low + 1)
    }

    /// A number in `low..high`.
    pub fn range(&mut self, low: f64, high: f64) -> f64 {
        let unit = (self.roll() >> 11) as f64 / (1u64 << 53) as f64;
        low + (high - low) * unit
    }
}

/// The campaign banner of the demo.
pub fn banner() -> Banner {
    Banner {
        title: "Fall Deals For You".into(),
        subtitle: Some("Live-only prices, while stock lasts".into()),
        url: None,
    }
}

/// A deal at 30 % off the product's price, rounded to cents.
pub fn deal_offer(offer: &Offer, stock: u32) -> Option<Offer> {
    let base = offer.original_price.unwrap_or(offer.price).get();
    let price = (offer.price.get() * 0.7 * 100.0).round() / 100.0;
    Some(Offer {
        price: Amount::new(price)?,
        original_price: Amount::new(base),
        inventory_level: Some(stock),
        availability: Availability::InStock,
        ..offer.clone()
    })
}

/// Runs the show on stream `demo` until the process ends. `pace` scales every delay. Its
/// simulated buyers add to carts of their own, through the same carts and stock as shoppers.
pub async fn run(app: Arc<AppState>, pace: f64) {
    let Some(stream) = app.hub.get("demo") else {
        return;
    };
    let wait = |secs: f64| tokio::time::sleep(Duration::from_secs_f64((secs * pace).max(0.0)));
    let mut dice = Dice(now_ms() as u64 | 1);
    let say = |change: Change| {
        let stream = stream.clone();
        async move {
            if let Err(e) = stream.publish(change).await {
                eprintln!("live-shop-server: the demo show: {e}");
            }
        }
    };
    say(Change::ShowStarted).await;
    say(Change::BannerChanged {
        banner: Some(banner()),
    })
    .await;
    for round in 0u64.. {
        let shelf = stream.with_show(|s| s.products.clone());
        if shelf.is_empty() {
            return;
        }
        let product = shelf[(round as usize * 5 + 1) % shelf.len()].clone();
        say(Change::OfferPinned {
            product: product.clone(),
        })
        .await;
        wait(3.0).await;

        // Every other deal is small and popular, so it sells out before its time is up.
        let popular = round % 2 == 0;
        let stock = if popular { 30 } else { 60 };
        let Some(offer) = product.offer().and_then(|o| deal_offer(o, stock)) else {
            continue;
        };
        let starts_at = now_ms() + (8_000.0 * pace) as i64;
        let deal = FlashDeal {
            id: format!("deal-{}-{round}", product.id),
            product_id: product.id.clone(),
            offer,
            starts_at,
            ends_at: starts_at + (30_000.0 * pace) as i64,
            status: DealStatus::Scheduled,
            end_reason: None,
            stock_limit: Some(stock),
            limit_per_shopper: Some(LIMIT_PER_SHOPPER),
        };
        let deal_id = deal.id.clone();
        if let Err(e) = app.carts.run_deal(&stream, deal).await {
            eprintln!("live-shop-server: the demo's deal is off: {e}");
            continue;
        }
        wait(8.2).await;

        let mut buyer = 0u64;
        while stream.deal_status(&deal_id) == Some(DealStatus::Running) {
            wait(dice.between(6, 14) as f64 / 10.0).await;
            if stream.deal_status(&deal_id) != Some(DealStatus::Running) {
                break;
            }
            let wanted = if popular {
                dice.between(1, 3)
            } else {
                dice.between(0, 1)
            } as u32;
            let left = app.carts.left(&deal_id).await.ok().flatten().unwrap_or(0);
            if wanted.min(left) == 0 {
                continue;
            }
            // Each simulated buyer is a shopper of their own, with a cart of their own; a
            // shopper who took the last units first leaves them fewer, or none.
            buyer += 1;
            let request = CartItemRequest {
                product_id: product.id.clone(),
                quantity: wanted.min(left),
                offer: None,
            };
            let key = format!("demo-{deal_id}-{}-{buyer}", now_ms());
            let _ = app
                .carts
                .add(&app.hub, &app.catalog, None, &key, &request)
                .await;
        }
        wait(4.0).await;

        // Between deals a shelf price moves, as shops do during a show.
        let other = &shelf[dice.between(0, shelf.len() as u64 - 1) as usize];
        if let Some(offer) =
            stream.with_show(|s| s.product(&other.id).and_then(|p| p.offer().cloned()))
        {
            let factor = [0.9, 0.95, 1.05][dice.between(0, 2) as usize];
            if let Some(price) = Amount::new((offer.price.get() * factor * 100.0).round() / 100.0) {
                say(Change::PriceChanged {
                    product_id: other.id.clone(),
                    price,
                    original_price: offer.original_price,
                })
                .await;
            }
        }
        wait(2.0).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use live_shop_core::protocol::EndReason;

    #[test]
    fn deals_are_thirty_percent_off() {
        let catalog = Catalog::embedded().unwrap();
        let offer = catalog.products[1].offer().unwrap();
        let deal = deal_offer(offer, 30).unwrap();
        assert_eq!(deal.percent_off(), Some(30));
        assert_eq!(deal.inventory_level, Some(30));
    }

    #[tokio::test(start_paused = true)]
    async fn the_show_pins_runs_a_deal_and_sells_out() {
        let app = AppState::new(vec![]).unwrap();
        let stream = app.hub.get("demo").unwrap();
        let mut rx = stream.subscribe(None).1;
        tokio::spawn(run(app.clone(), 0.01));
        let mut seen = Vec::new();
        while let Ok(Ok(event)) = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
            let done = matches!(
                event.change,
                Change::FlashDealEnded {
                    reason: EndReason::SoldOut,
                    ..
                }
            );
            seen.push(event);
            if done {
                break;
            }
        }
        let kinds: Vec<&str> = seen
            .iter()
            .map(|e| match e.change {
                Change::ShowStarted => "show",
                Change::BannerChanged { .. } => "banner",
                Change::OfferPinned { .. } => "pin",
                Change::FlashDealScheduled { .. } => "scheduled",
                Change::FlashDealStarted { .. } => "started",
                Change::StockChanged { .. } => "stock",
                Change::FlashDealEnded { .. } => "ended",
                _ => "other",
            })
            .collect();
        assert_eq!(
            &kinds[..5],
            ["show", "banner", "pin", "scheduled", "started"]
        );
        assert_eq!(kinds.last(), Some(&"ended"));
        assert!(kinds.iter().filter(|k| **k == "stock").count() >= 5);
        let state = stream.state();
        let sold_out = state
            .flash_deals
            .iter()
            .find(|d| d.end_reason == Some(EndReason::SoldOut))
            .unwrap();
        // The buyers took the units from the deal's stock, which has none left.
        assert_eq!(app.carts.left(&sold_out.id).await.unwrap(), Some(0));
    }
}
