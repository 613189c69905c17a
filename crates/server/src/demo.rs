//! The scripted demo show on stream `demo`: it pins products, runs flash deals with countdowns,
//! and simulated buyers draw stock down until a deal sells out or expires. It loops forever.
use std::sync::Arc;
use std::time::Duration;

use live_shop_core::protocol::{
    Amount, Availability, Banner, Change, DealStatus, EndReason, FlashDeal, Offer,
};

use crate::hub::LiveStream;
use crate::now_ms;

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

/// Runs the show until the process ends. `pace` scales every delay.
pub async fn run(stream: Arc<LiveStream>, pace: f64) {
    let wait = |secs: f64| tokio::time::sleep(Duration::from_secs_f64((secs * pace).max(0.0)));
    let mut dice = Dice(now_ms() as u64 | 1);
    stream.publish(Change::ShowStarted);
    stream.publish(Change::BannerChanged {
        banner: Some(banner()),
    });
    for round in 0u64.. {
        let shelf = stream.with_show(|s| s.products.clone());
        if shelf.is_empty() {
            return;
        }
        let product = shelf[(round as usize * 5 + 1) % shelf.len()].clone();
        stream.publish(Change::OfferPinned {
            product: product.clone(),
        });
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
        };
        let deal_id = deal.id.clone();
        stream.run_deal(deal);
        wait(8.2).await;

        let mut left = stock;
        while stream.deal_status(&deal_id) == Some(DealStatus::Running) {
            wait(dice.between(6, 14) as f64 / 10.0).await;
            if stream.deal_status(&deal_id) != Some(DealStatus::Running) {
                break;
            }
            let bought = if popular {
                dice.between(2, 4)
            } else {
                dice.between(0, 2)
            } as u32;
            left = left.saturating_sub(bought);
            stream.publish(Change::StockChanged {
                product_id: product.id.clone(),
                inventory_level: Some(left),
                availability: match left {
                    0 => Availability::SoldOut,
                    1..=9 => Availability::LimitedAvailability,
                    _ => Availability::InStock,
                },
            });
            if left == 0 {
                stream.publish(Change::FlashDealEnded {
                    deal_id: deal_id.clone(),
                    reason: EndReason::SoldOut,
                });
            }
        }
        wait(4.0).await;

        // Between deals a shelf price moves, as shops do during a show.
        let other = &shelf[dice.between(0, shelf.len() as u64 - 1) as usize];
        if let Some(offer) =
            stream.with_show(|s| s.product(&other.id).and_then(|p| p.offer().cloned()))
        {
            let factor = [0.9, 0.95, 1.05][dice.between(0, 2) as usize];
            if let Some(price) = Amount::new((offer.price.get() * factor * 100.0).round() / 100.0) {
                stream.publish(Change::PriceChanged {
                    product_id: other.id.clone(),
                    price,
                    original_price: offer.original_price,
                });
            }
        }
        wait(2.0).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

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
        let catalog = Catalog::embedded().unwrap();
        let stream = LiveStream::new("demo", "ep", catalog.demo_shelf());
        let mut rx = stream.subscribe(None).1;
        tokio::spawn(run(stream.clone(), 0.01));
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
        assert!(state
            .flash_deals
            .iter()
            .any(|d| d.end_reason == Some(EndReason::SoldOut)));
    }
}
