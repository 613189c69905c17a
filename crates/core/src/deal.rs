//! The live show's state machine: a snapshot plus the events after it.
//!
//! The server folds its own events through [`Show::apply`] to produce snapshots, and the widget
//! folds what it receives through the same function, so both agree by construction. Events carry
//! `(epoch, seq)`: duplicates and stale events are dropped, a gap or a new epoch asks for a fresh
//! snapshot instead of guessing. A viewer keeps its copy in a [`Follower`], which holds the
//! events that arrive while that snapshot is on its way and applies the newer ones after it.
use crate::protocol::{
    Availability, Banner, Change, DealStatus, FlashDeal, Millis, Offer, Product, StreamEvent,
    StreamState,
};

/// How many ended deals a show keeps, newest last.
const ENDED_DEALS_KEPT: usize = 5;

/// How long after its scheduled end an ended deal still shows ("Deal ended"), in ms. A deal
/// that sold out early shows as ended until its scheduled end and this long after; then the
/// product's card is its own again, without a deal line.
pub const ENDED_DEAL_SHOWN_MS: Millis = 30_000;

/// Something that changes the show.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// A full state, from `GET …/state` or the first SSE message.
    Snapshot(StreamState),
    /// One event from the live stream.
    Event(StreamEvent),
}

/// What applying an action did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The state changed: redraw.
    Changed,
    /// Nothing changed (a duplicate, a stale snapshot, an event about nothing shown).
    Unchanged,
    /// The event cannot be applied safely (a gap, a new epoch, no snapshot yet): fetch a
    /// snapshot. The state is left as it was.
    NeedsSnapshot,
}

/// The state of one live stream.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Show {
    /// The stream id.
    pub stream_id: String,
    /// Epoch of the sequence, `None` before the first snapshot.
    pub epoch: Option<String>,
    /// Sequence number of the last event applied.
    pub seq: u64,
    /// Server time of the newest message applied.
    pub server_time: Millis,
    /// On air.
    pub live: bool,
    /// Pinned product id.
    pub pinned: Option<String>,
    /// Shelf.
    pub products: Vec<Product>,
    /// Campaign banner.
    pub banner: Option<Banner>,
    /// Flash deals.
    pub flash_deals: Vec<FlashDeal>,
}

impl Show {
    /// A show that starts a new epoch, for the server.
    pub fn new(stream_id: &str, epoch: &str) -> Self {
        Self {
            stream_id: stream_id.to_string(),
            epoch: Some(epoch.to_string()),
            ..Self::default()
        }
    }

    /// Applies an action.
    pub fn apply(&mut self, action: Action) -> Outcome {
        match action {
            Action::Snapshot(state) => self.apply_snapshot(state),
            Action::Event(event) => self.apply_event(event),
        }
    }

    fn apply_snapshot(&mut self, state: StreamState) -> Outcome {
        let same_epoch = self.epoch.as_deref() == Some(state.epoch.as_str());
        if same_epoch && state.seq < self.seq {
            return Outcome::Unchanged;
        }
        let next = Self {
            stream_id: state.stream_id,
            epoch: Some(state.epoch),
            seq: state.seq,
            server_time: state.server_time,
            live: state.live,
            pinned: state.pinned,
            products: state.products,
            banner: state.banner,
            flash_deals: state.flash_deals,
        };
        if next == *self {
            return Outcome::Unchanged;
        }
        *self = next;
        Outcome::Changed
    }

    /// Whether `event` can be applied now: of this epoch, and no gap before it (an event the
    /// show already has follows too, and changes nothing).
    fn follows(&self, event: &StreamEvent) -> bool {
        self.epoch.as_deref() == Some(event.epoch.as_str()) && event.seq <= self.seq + 1
    }

    fn apply_event(&mut self, event: StreamEvent) -> Outcome {
        match self.epoch.as_deref() {
            None => return Outcome::NeedsSnapshot,
            Some(epoch) if epoch != event.epoch => return Outcome::NeedsSnapshot,
            Some(_) => {}
        }
        if event.seq <= self.seq {
            return Outcome::Unchanged;
        }
        if event.seq > self.seq + 1 {
            return Outcome::NeedsSnapshot;
        }
        self.seq = event.seq;
        self.server_time = self.server_time.max(event.server_time);
        self.fold(event.change);
        // The sequence moved, which callers such as ETags observe, so this is always a change.
        Outcome::Changed
    }

    /// Folds one change into the state; changes about unknown products are ignored.
    fn fold(&mut self, change: Change) {
        match change {
            Change::OfferPinned { product } => {
                self.pinned = Some(product.id.clone());
                match self.products.iter_mut().find(|p| p.id == product.id) {
                    Some(existing) => *existing = product,
                    None => self.products.push(product),
                }
            }
            Change::OfferUnpinned => self.pinned = None,
            Change::PriceChanged {
                product_id,
                price,
                original_price,
            } => {
                if let Some(offer) = self
                    .product_mut(&product_id)
                    .and_then(|p| p.offers.first_mut())
                {
                    offer.price = price;
                    offer.original_price = original_price;
                }
            }
            Change::StockChanged {
                product_id,
                inventory_level,
                availability,
            } => {
                if let Some(deal) = self.running_deal_mut(&product_id) {
                    deal.offer.inventory_level = inventory_level;
                    deal.offer.availability = availability;
                } else if let Some(offer) = self
                    .product_mut(&product_id)
                    .and_then(|p| p.offers.first_mut())
                {
                    offer.inventory_level = inventory_level;
                    offer.availability = availability;
                }
            }
            Change::FlashDealScheduled { deal } => {
                self.flash_deals.retain(|d| d.id != deal.id);
                self.flash_deals.push(deal);
            }
            Change::FlashDealStarted { deal_id } => {
                if let Some(deal) = self.flash_deals.iter_mut().find(|d| d.id == deal_id) {
                    deal.status = DealStatus::Running;
                }
            }
            Change::FlashDealEnded { deal_id, reason } => {
                if let Some(deal) = self.flash_deals.iter_mut().find(|d| d.id == deal_id) {
                    deal.status = DealStatus::Ended;
                    deal.end_reason = Some(reason);
                    if reason == crate::protocol::EndReason::SoldOut {
                        deal.offer.inventory_level = Some(0);
                        deal.offer.availability = Availability::SoldOut;
                    }
                }
                self.prune_ended_deals();
            }
            Change::BannerChanged { banner } => self.banner = banner,
            Change::ShowStarted => self.live = true,
            Change::ShowEnded => self.live = false,
            Change::Unknown => {}
        }
    }

    fn prune_ended_deals(&mut self) {
        let ended = self
            .flash_deals
            .iter()
            .filter(|d| d.status == DealStatus::Ended)
            .count();
        let mut surplus = ended.saturating_sub(ENDED_DEALS_KEPT);
        self.flash_deals.retain(|d| {
            let drop = surplus > 0 && d.status == DealStatus::Ended;
            surplus -= usize::from(drop);
            !drop
        });
    }

    fn product_mut(&mut self, id: &str) -> Option<&mut Product> {
        self.products.iter_mut().find(|p| p.id == id)
    }

    fn running_deal_mut(&mut self, product_id: &str) -> Option<&mut FlashDeal> {
        self.flash_deals
            .iter_mut()
            .rev()
            .find(|d| d.product_id == product_id && d.status == DealStatus::Running)
    }

    /// A product of the shelf.
    pub fn product(&self, id: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.id == id)
    }

    /// The pinned product.
    pub fn pinned_product(&self) -> Option<&Product> {
        self.pinned.as_deref().and_then(|id| self.product(id))
    }

    /// The deal to show for a product at server time `now`: a running one first, else the next
    /// scheduled one, else the one that ended last, until [`ENDED_DEAL_SHOWN_MS`] after its
    /// scheduled end.
    pub fn deal_for(&self, product_id: &str, now: Millis) -> Option<&FlashDeal> {
        let deals = || {
            self.flash_deals
                .iter()
                .filter(|d| d.product_id == product_id)
        };
        deals()
            .rfind(|d| is_running(d, now))
            .or_else(|| {
                deals()
                    .filter(|d| d.status == DealStatus::Scheduled && now < d.starts_at)
                    .min_by_key(|d| d.starts_at)
            })
            .or_else(|| {
                deals().rfind(|d| {
                    d.status == DealStatus::Ended
                        && now < d.ends_at.saturating_add(ENDED_DEAL_SHOWN_MS)
                })
            })
    }

    /// What a shopper pays for a product of the shelf at server time `now`: the running flash
    /// deal's offer, with the deal, or else the product's own offer.
    pub fn price_now(&self, product_id: &str, now: Millis) -> Option<(&Offer, Option<&FlashDeal>)> {
        let running = self
            .flash_deals
            .iter()
            .rfind(|d| d.product_id == product_id && is_running(d, now));
        match running {
            Some(deal) => Some((&deal.offer, Some(deal))),
            None => Some((self.product(product_id)?.offer()?, None)),
        }
    }

    /// `product` as it sells now on this show: the show's own copy when it is on the shelf
    /// (with its live price), a running deal's offer first. What a backend answers about a
    /// product elsewhere (the catalog, search results) carries this, so every price a shopper
    /// sees is the one the cart takes.
    pub fn priced(&self, product: &Product, now: Millis) -> Product {
        let mut priced = self
            .product(&product.id)
            .cloned()
            .unwrap_or_else(|| product.clone());
        if let Some(deal) = self
            .flash_deals
            .iter()
            .rfind(|d| d.product_id == product.id && is_running(d, now))
        {
            match priced.offers.first_mut() {
                Some(first) => *first = deal.offer.clone(),
                None => priced.offers.push(deal.offer.clone()),
            }
        }
        priced
    }

    /// The state as sent over the wire.
    pub fn to_state(&self) -> StreamState {
        StreamState {
            stream_id: self.stream_id.clone(),
            epoch: self.epoch.clone().unwrap_or_default(),
            seq: self.seq,
            server_time: self.server_time,
            live: self.live,
            pinned: self.pinned.clone(),
            products: self.products.clone(),
            banner: self.banner.clone(),
            flash_deals: self.flash_deals.clone(),
        }
    }
}

/// Most events a [`Follower`] holds while it waits for a snapshot; past it the oldest go (the
/// snapshot covers them, or the gap they leave asks for another).
pub const HELD_EVENTS: usize = 512;

/// A viewer's copy of a show, kept from a snapshot and the events after it. Unlike a bare
/// [`Show`], nothing that arrives while a snapshot is on its way is lost: an event past a gap is
/// held, and applied in order once a snapshot (or the missing events) fills the gap.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Follower {
    show: Show,
    /// Events past a gap, sorted by seq, all of one epoch. (A sorted list, not a map: it holds
    /// a few hundred at most, and a map's code would weigh on the widget's first load.)
    held: Vec<StreamEvent>,
}

impl Follower {
    /// The show as applied so far.
    pub fn show(&self) -> &Show {
        &self.show
    }

    /// Applies an action, then whatever held events it made applicable. `NeedsSnapshot` means
    /// events are still held behind a gap (or none could be applied before a first snapshot).
    pub fn apply(&mut self, action: Action) -> Outcome {
        let outcome = match action {
            Action::Event(event) if !self.show.follows(&event) => {
                self.hold(event);
                return Outcome::NeedsSnapshot;
            }
            action => self.show.apply(action),
        };
        self.release(outcome)
    }

    /// Whether events wait behind a gap.
    pub fn is_waiting(&self) -> bool {
        !self.held.is_empty()
    }

    fn hold(&mut self, event: StreamEvent) {
        // A newer epoch's events replace an older one's: only a snapshot of it can place them.
        if self.held.first().is_some_and(|e| e.epoch != event.epoch) {
            self.held.clear();
        }
        match self.held.binary_search_by_key(&event.seq, |e| e.seq) {
            Ok(at) => self.held[at] = event,
            Err(at) => self.held.insert(at, event),
        }
        if self.held.len() > HELD_EVENTS {
            self.held.drain(..self.held.len() - HELD_EVENTS);
        }
    }

    /// Applies held events that now follow the show, drops those it already has.
    fn release(&mut self, mut outcome: Outcome) -> Outcome {
        // Held events are sorted: those that follow the show make a run at the front.
        let mut seq = self.show.seq;
        let ready = self
            .held
            .iter()
            .take_while(|e| {
                let next = self.show.epoch.as_deref() == Some(e.epoch.as_str()) && e.seq <= seq + 1;
                seq = seq.max(e.seq);
                next
            })
            .count();
        for event in self.held.drain(..ready) {
            if self.show.apply(Action::Event(event)) == Outcome::Changed {
                outcome = Outcome::Changed;
            }
        }
        if self.held.is_empty() {
            outcome
        } else {
            Outcome::NeedsSnapshot
        }
    }
}

/// A deal is running when the server said so, or when its start has passed and no end was
/// announced (the start event may still be on its way), until its end time.
pub fn is_running(deal: &FlashDeal, now: Millis) -> bool {
    match deal.status {
        DealStatus::Running => now < deal.ends_at,
        DealStatus::Scheduled => deal.starts_at <= now && now < deal.ends_at,
        DealStatus::Ended | DealStatus::Unknown => false,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::protocol::{Amount, Currency, EndReason, Offer};

    pub(crate) fn product(id: &str, price: f64) -> Product {
        Product {
            id: id.into(),
            title: format!("Product {id}"),
            brand: Some("Brand".into()),
            images: vec![format!("/media/{id}.png")],
            offers: vec![offer(price, None, Some(20))],
            url: Some(format!("/p/{id}")),
            variant_id: None,
        }
    }

    pub(crate) fn offer(price: f64, original: Option<f64>, stock: Option<u32>) -> Offer {
        Offer {
            price: Amount::new(price).unwrap_or_else(|| panic!("bad test price")),
            price_currency: Currency::parse("EUR").unwrap_or_else(|| panic!("bad currency")),
            original_price: original.and_then(Amount::new),
            price_valid_until: None,
            availability: Availability::InStock,
            inventory_level: stock,
        }
    }

    fn snapshot(epoch: &str, seq: u64) -> StreamState {
        StreamState {
            stream_id: "demo".into(),
            epoch: epoch.into(),
            seq,
            server_time: 1_000,
            live: true,
            pinned: None,
            products: vec![product("a", 10.0), product("b", 20.0)],
            banner: None,
            flash_deals: vec![],
        }
    }

    fn event(epoch: &str, seq: u64, change: Change) -> Action {
        Action::Event(StreamEvent {
            epoch: epoch.into(),
            seq,
            server_time: 1_000 + seq as i64,
            change,
        })
    }

    fn price(id: &str, value: f64) -> Change {
        Change::PriceChanged {
            product_id: id.into(),
            price: Amount::new(value).unwrap_or_else(|| panic!("bad price")),
            original_price: None,
        }
    }

    fn price_of(show: &Show, id: &str) -> f64 {
        show.product(id)
            .and_then(Product::offer)
            .map_or(f64::NAN, |o| o.price.get())
    }

    fn started() -> Show {
        let mut show = Show::default();
        assert_eq!(
            show.apply(Action::Snapshot(snapshot("e1", 5))),
            Outcome::Changed
        );
        show
    }

    #[test]
    fn events_before_a_snapshot_ask_for_one() {
        let mut show = Show::default();
        assert_eq!(
            show.apply(event("e1", 1, price("a", 1.0))),
            Outcome::NeedsSnapshot
        );
        assert_eq!(show, Show::default());
    }

    #[test]
    fn applies_events_in_order() {
        let mut show = started();
        let pin = Change::OfferPinned {
            product: product("b", 20.0),
        };
        assert_eq!(show.apply(event("e1", 6, pin)), Outcome::Changed);
        assert_eq!(
            show.apply(event("e1", 7, price("b", 15.0))),
            Outcome::Changed
        );
        assert_eq!(show.pinned.as_deref(), Some("b"));
        assert_eq!(price_of(&show, "b"), 15.0);
        assert_eq!(show.seq, 7);
    }

    #[test]
    fn a_duplicate_event_is_applied_once() {
        let mut show = started();
        assert_eq!(
            show.apply(event("e1", 6, price("a", 9.0))),
            Outcome::Changed
        );
        let before = show.clone();
        assert_eq!(
            show.apply(event("e1", 6, price("a", 1.0))),
            Outcome::Unchanged
        );
        assert_eq!(show, before);
    }

    #[test]
    fn a_gap_asks_for_a_snapshot_and_changes_nothing() {
        let mut show = started();
        let before = show.clone();
        assert_eq!(
            show.apply(event("e1", 8, price("a", 1.0))),
            Outcome::NeedsSnapshot
        );
        assert_eq!(show, before);
    }

    #[test]
    fn reordered_events_never_leave_an_older_value() {
        let mut show = started();
        // 7 arrives before 6: 7 is a gap, then 6 applies, then 7 again applies.
        assert_eq!(
            show.apply(event("e1", 7, price("a", 7.0))),
            Outcome::NeedsSnapshot
        );
        assert_eq!(
            show.apply(event("e1", 6, price("a", 6.0))),
            Outcome::Changed
        );
        assert_eq!(
            show.apply(event("e1", 7, price("a", 7.0))),
            Outcome::Changed
        );
        // A late copy of 6 is stale.
        assert_eq!(
            show.apply(event("e1", 6, price("a", 6.0))),
            Outcome::Unchanged
        );
        assert_eq!(price_of(&show, "a"), 7.0);
    }

    #[test]
    fn a_new_epoch_asks_for_a_snapshot() {
        let mut show = started();
        assert_eq!(
            show.apply(event("e2", 1, price("a", 1.0))),
            Outcome::NeedsSnapshot
        );
        // The new epoch's snapshot replaces everything even though its seq is lower.
        assert_eq!(
            show.apply(Action::Snapshot(snapshot("e2", 1))),
            Outcome::Changed
        );
        assert_eq!(show.epoch.as_deref(), Some("e2"));
        assert_eq!(
            show.apply(event("e2", 2, price("a", 2.0))),
            Outcome::Changed
        );
    }

    #[test]
    fn a_stale_snapshot_is_ignored() {
        let mut show = started();
        assert_eq!(
            show.apply(event("e1", 6, price("a", 6.0))),
            Outcome::Changed
        );
        assert_eq!(
            show.apply(Action::Snapshot(snapshot("e1", 5))),
            Outcome::Unchanged
        );
        assert_eq!(price_of(&show, "a"), 6.0);
    }

    fn banner(title: &str) -> Change {
        Change::BannerChanged {
            banner: Some(Banner {
                title: title.into(),
                subtitle: None,
                url: None,
            }),
        }
    }

    fn banner_of(show: &Show) -> &str {
        show.banner.as_ref().map_or("", |b| b.title.as_str())
    }

    fn following() -> Follower {
        let mut follower = Follower::default();
        assert_eq!(
            follower.apply(Action::Snapshot(snapshot("e1", 5))),
            Outcome::Changed
        );
        follower
    }

    #[test]
    fn events_that_arrive_while_a_snapshot_is_fetched_are_applied_after_it() {
        let mut follower = following();
        // 6 was lost: 7 reveals the gap, 8 and 9 arrive while the snapshot is on its way.
        for seq in 7..=9 {
            assert_eq!(
                follower.apply(event("e1", seq, banner(&format!("Round {seq}")))),
                Outcome::NeedsSnapshot
            );
        }
        assert_eq!(follower.show().seq, 5);
        let mut state = snapshot("e1", 6);
        state.banner = Some(Banner {
            title: "Round 6".into(),
            subtitle: None,
            url: None,
        });
        assert_eq!(follower.apply(Action::Snapshot(state)), Outcome::Changed);
        assert_eq!(follower.show().seq, 9);
        assert_eq!(banner_of(follower.show()), "Round 9");
        assert!(!follower.is_waiting());
    }

    #[test]
    fn a_snapshot_newer_than_the_held_events_replaces_them() {
        let mut follower = following();
        follower.apply(event("e1", 7, price("a", 7.0)));
        follower.apply(event("e1", 8, price("a", 8.0)));
        assert_eq!(
            follower.apply(Action::Snapshot(snapshot("e1", 10))),
            Outcome::Changed
        );
        assert_eq!(follower.show().seq, 10);
        assert_eq!(price_of(follower.show(), "a"), 10.0);
        assert!(!follower.is_waiting());
        // And the stream goes on from there.
        assert_eq!(
            follower.apply(event("e1", 11, price("a", 11.0))),
            Outcome::Changed
        );
    }

    #[test]
    fn a_snapshot_that_leaves_a_gap_asks_for_another_and_keeps_what_it_holds() {
        let mut follower = following();
        follower.apply(event("e1", 9, banner("Round 9")));
        // The snapshot came from a server still at 7: 8 is missing yet.
        assert_eq!(
            follower.apply(Action::Snapshot(snapshot("e1", 7))),
            Outcome::NeedsSnapshot
        );
        assert_eq!(follower.show().seq, 7);
        // 8 arrives after all: 8 and the held 9 apply.
        assert_eq!(
            follower.apply(event("e1", 8, banner("Round 8"))),
            Outcome::Changed
        );
        assert_eq!(follower.show().seq, 9);
        assert_eq!(banner_of(follower.show()), "Round 9");
    }

    #[test]
    fn events_before_the_first_snapshot_or_of_a_new_epoch_wait_for_its_snapshot() {
        let mut follower = Follower::default();
        assert_eq!(
            follower.apply(event("e1", 6, banner("Early"))),
            Outcome::NeedsSnapshot
        );
        assert_eq!(
            follower.apply(Action::Snapshot(snapshot("e1", 5))),
            Outcome::Changed
        );
        assert_eq!(banner_of(follower.show()), "Early");
        // A restarted server: its events wait for its own snapshot, the old epoch's are dropped.
        assert_eq!(
            follower.apply(event("e2", 2, banner("New"))),
            Outcome::NeedsSnapshot
        );
        assert_eq!(
            follower.apply(Action::Snapshot(snapshot("e1", 6))),
            Outcome::NeedsSnapshot,
            "an old epoch's snapshot cannot place the new epoch's events"
        );
        assert_eq!(
            follower.apply(Action::Snapshot(snapshot("e2", 1))),
            Outcome::Changed
        );
        assert_eq!(follower.show().epoch.as_deref(), Some("e2"));
        assert_eq!(follower.show().seq, 2);
        assert_eq!(banner_of(follower.show()), "New");
    }

    #[test]
    fn a_follower_holds_a_bounded_number_of_events() {
        let mut follower = following();
        let last = 7 + HELD_EVENTS as u64 + 100;
        for seq in 7..=last {
            follower.apply(event("e1", seq, price("a", seq as f64)));
        }
        assert_eq!(follower.held.len(), HELD_EVENTS);
        // The oldest went: a snapshot up to just before the newest held ones places them.
        let first_held = last - HELD_EVENTS as u64 + 1;
        assert_eq!(
            follower.apply(Action::Snapshot(snapshot("e1", first_held - 1))),
            Outcome::Changed
        );
        assert_eq!(follower.show().seq, last);
        assert_eq!(price_of(follower.show(), "a"), last as f64);
    }

    #[test]
    fn a_product_is_priced_as_it_sells_now_on_the_show() {
        let mut show = started();
        let elsewhere = product("a", 99.0);
        assert_eq!(
            show.priced(&elsewhere, 1_000).offers[0].price.get(),
            10.0,
            "the show's own copy, with its live price"
        );
        let unknown = product("z", 5.0);
        assert_eq!(show.priced(&unknown, 1_000), unknown);
        let mut deal = FlashDeal {
            id: "d".into(),
            product_id: "a".into(),
            offer: product("a", 6.0).offers[0].clone(),
            starts_at: 2_000,
            ends_at: 3_000,
            status: DealStatus::Scheduled,
            end_reason: None,
            stock_limit: Some(5),
            limit_per_shopper: None,
        };
        deal.offer.inventory_level = Some(5);
        show.apply(event("e1", 6, Change::FlashDealScheduled { deal }));
        assert_eq!(show.priced(&elsewhere, 1_500).offers[0].price.get(), 10.0);
        let during = show.priced(&elsewhere, 2_500);
        assert_eq!(
            during.offers[0].price.get(),
            6.0,
            "the running deal's offer"
        );
        assert_eq!(during.offers[0].inventory_level, Some(5));
        assert_eq!(show.priced(&elsewhere, 3_000).offers[0].price.get(), 10.0);
    }

    #[test]
    fn an_identical_snapshot_changes_nothing() {
        let mut show = started();
        assert_eq!(
            show.apply(Action::Snapshot(snapshot("e1", 5))),
            Outcome::Unchanged
        );
    }

    #[test]
    fn events_about_unknown_products_only_advance_the_sequence() {
        let mut show = started();
        assert_eq!(
            show.apply(event("e1", 6, price("zz", 1.0))),
            Outcome::Changed
        );
        assert_eq!(show.seq, 6);
        assert_eq!(price_of(&show, "a"), 10.0);
        assert_eq!(
            show.apply(event("e1", 7, Change::Unknown)),
            Outcome::Changed
        );
        assert_eq!(show.seq, 7);
    }

    fn deal(id: &str, product_id: &str, starts_at: Millis, ends_at: Millis) -> FlashDeal {
        FlashDeal {
            id: id.into(),
            product_id: product_id.into(),
            offer: offer(7.0, Some(10.0), Some(3)),
            starts_at,
            ends_at,
            status: DealStatus::Scheduled,
            end_reason: None,
            stock_limit: Some(3),
            limit_per_shopper: None,
        }
    }

    #[test]
    fn a_shopper_pays_the_running_deal_price_and_else_the_shelf_price() {
        let mut show = started();
        let scheduled = Change::FlashDealScheduled {
            deal: deal("d1", "a", 2_000, 5_000),
        };
        show.apply(event("e1", 6, scheduled));
        let pays = |show: &Show, now| {
            show.price_now("a", now)
                .map(|(offer, deal)| (offer.price.get(), deal.map(|d| d.id.clone())))
        };
        assert_eq!(pays(&show, 1_000), Some((10.0, None)), "before the start");
        assert_eq!(pays(&show, 2_000), Some((7.0, Some("d1".into()))));
        assert_eq!(pays(&show, 5_000), Some((10.0, None)), "after the end");
        show.apply(event(
            "e1",
            7,
            Change::FlashDealEnded {
                deal_id: "d1".into(),
                reason: crate::protocol::EndReason::SoldOut,
            },
        ));
        assert_eq!(pays(&show, 3_000), Some((10.0, None)), "sold out early");
        assert_eq!(show.price_now("zz", 3_000), None);
    }

    #[test]
    fn a_flash_deal_runs_through_its_life() {
        let mut show = started();
        let scheduled = Change::FlashDealScheduled {
            deal: deal("d1", "a", 2_000, 5_000),
        };
        show.apply(event("e1", 6, scheduled));
        assert_eq!(show.deal_for("a", 1_000).map(|d| d.id.as_str()), Some("d1"));
        show.apply(event(
            "e1",
            7,
            Change::FlashDealStarted {
                deal_id: "d1".into(),
            },
        ));
        let stock = Change::StockChanged {
            product_id: "a".into(),
            inventory_level: Some(1),
            availability: Availability::LimitedAvailability,
        };
        show.apply(event("e1", 8, stock));
        let running = show.deal_for("a", 3_000);
        assert_eq!(running.and_then(|d| d.offer.inventory_level), Some(1));
        // The shelf offer keeps its own stock while the deal runs.
        let shelf_stock = show
            .product("a")
            .and_then(Product::offer)
            .and_then(|o| o.inventory_level);
        assert_eq!(shelf_stock, Some(20));
        let ended = Change::FlashDealEnded {
            deal_id: "d1".into(),
            reason: EndReason::SoldOut,
        };
        show.apply(event("e1", 9, ended));
        let over = show.deal_for("a", 3_000);
        assert_eq!(
            over.map(|d| d.offer.availability),
            Some(Availability::SoldOut)
        );
        assert_eq!(over.and_then(|d| d.offer.inventory_level), Some(0));
        // Sold out early, it shows as ended through its scheduled end and a while after; then
        // the product's card is its own again.
        assert!(show
            .deal_for("a", 5_000 + ENDED_DEAL_SHOWN_MS - 1)
            .is_some());
        assert!(show.deal_for("a", 5_000 + ENDED_DEAL_SHOWN_MS).is_none());
    }

    #[test]
    fn an_ended_deal_shows_for_a_while_then_gives_way() {
        let mut show = started();
        for (seq, change) in [
            (
                6,
                Change::FlashDealScheduled {
                    deal: deal("d1", "a", 2_000, 5_000),
                },
            ),
            (
                7,
                Change::FlashDealStarted {
                    deal_id: "d1".into(),
                },
            ),
            (
                8,
                Change::FlashDealEnded {
                    deal_id: "d1".into(),
                    reason: EndReason::Expired,
                },
            ),
        ] {
            show.apply(event("e1", seq, change));
        }
        let ended = |now| show.deal_for("a", now).map(|d| d.id.as_str());
        assert_eq!(ended(5_000), Some("d1"));
        assert_eq!(ended(5_000 + ENDED_DEAL_SHOWN_MS - 1), Some("d1"));
        assert_eq!(ended(5_000 + ENDED_DEAL_SHOWN_MS), None);
        // The card then shows the product's own offer, with no countdown.
        let product = show.product("a").cloned();
        let card = product
            .and_then(|p| crate::view::Card::new(&show, &p, "", 5_000 + ENDED_DEAL_SHOWN_MS));
        assert_eq!(card.map(|c| c.deal.is_none()), Some(true));
        // A new deal for the product is shown, scheduled, whatever ended before.
        let next = Change::FlashDealScheduled {
            deal: deal("d2", "a", 90_000, 99_000),
        };
        show.apply(event("e1", 9, next));
        assert_eq!(show.deal_for("a", 6_000).map(|d| d.id.as_str()), Some("d2"));
    }

    #[test]
    fn ended_deals_are_pruned() {
        let mut show = started();
        let mut seq = 5;
        for i in 0..10 {
            let id = format!("d{i}");
            seq += 1;
            show.apply(event(
                "e1",
                seq,
                Change::FlashDealScheduled {
                    deal: deal(&id, "a", 0, 1),
                },
            ));
            seq += 1;
            let end = Change::FlashDealEnded {
                deal_id: id,
                reason: EndReason::Expired,
            };
            show.apply(event("e1", seq, end));
        }
        assert_eq!(show.flash_deals.len(), ENDED_DEALS_KEPT);
        assert_eq!(show.flash_deals.last().map(|d| d.id.as_str()), Some("d9"));
    }

    #[test]
    fn server_and_client_agree_after_the_same_events() {
        let mut server = Show::new("demo", "e1");
        let mut client = Show::default();
        client.apply(Action::Snapshot(server.to_state()));
        let changes = [
            Change::ShowStarted,
            Change::OfferPinned {
                product: product("a", 10.0),
            },
            price("a", 8.0),
            Change::FlashDealScheduled {
                deal: deal("d", "a", 0, 10),
            },
        ];
        for (i, change) in changes.into_iter().enumerate() {
            let e = event("e1", i as u64 + 1, change);
            server.apply(e.clone());
            client.apply(e);
        }
        assert_eq!(client.to_state(), server.to_state());
    }
}
