//! Live streams: the authoritative show state, a history of recent events for resuming, and a
//! broadcast to every connected viewer. State changes go through core's `Show::apply`, the same
//! function viewers run.
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use live_shop_core::deal::{Action, Outcome, Show};
use live_shop_core::protocol::{
    Change, DealStatus, EndReason, FlashDeal, Millis, StreamEvent, StreamState,
};
use tokio::sync::broadcast;

use crate::bus::{BusError, RedisBus};
use crate::now_ms;

/// Events kept for viewers that resume with `Last-Event-ID`.
pub(crate) const HISTORY: usize = 1024;

/// How a new subscriber catches up.
#[derive(Debug)]
pub enum CatchUp {
    /// Send these missed events, then live ones.
    Replay(Vec<Arc<StreamEvent>>),
    /// The viewer is too far behind or on another epoch: send this state first.
    Snapshot(StreamState),
}

/// What must hold for changes to be published, decided where changes are put in order: under
/// the stream's lock on this process's own bus, in a script on Redis (`crate::bus`). Deals
/// start once and end once however many instances run their timers, and an add's stock count
/// never raises the count viewers were shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Guard {
    /// Always published.
    Always,
    /// A deal scheduled with its units: the count shown starts there.
    Schedule {
        /// The deal.
        deal_id: String,
        /// Its units, if it has a count.
        units: Option<u32>,
    },
    /// Starts a deal that has not started or ended.
    Start(String),
    /// Ends a running deal at its time.
    Expire(String),
    /// Ends a deal that has not ended.
    End(String),
    /// A running deal's count: published when it is news (lower than the one shown, or any
    /// other count for units given back); at zero the deal ends.
    Stock {
        /// The deal.
        deal_id: String,
        /// Units left.
        left: u32,
        /// Units came back (holds ran out) rather than went.
        returned: bool,
    },
}

impl Guard {
    /// The guard a change posted on its own needs.
    pub fn of(change: &Change) -> Self {
        match change {
            Change::FlashDealScheduled { deal } => Self::Schedule {
                deal_id: deal.id.clone(),
                units: deal.offer.inventory_level,
            },
            Change::FlashDealStarted { deal_id } => Self::Start(deal_id.clone()),
            Change::FlashDealEnded { deal_id, .. } => Self::End(deal_id.clone()),
            _ => Self::Always,
        }
    }

    /// Whether `show`, as this process has it, lets the changes through.
    fn holds(&self, show: &Show) -> bool {
        let deal = |id: &str| show.flash_deals.iter().find(|d| d.id == id);
        let status = |id: &str| deal(id).map(|d| d.status);
        match self {
            Self::Always | Self::Schedule { .. } => true,
            Self::Start(id) => status(id) == Some(DealStatus::Scheduled),
            Self::Expire(id) => status(id) == Some(DealStatus::Running),
            Self::End(id) => status(id) != Some(DealStatus::Ended),
            Self::Stock {
                deal_id,
                left,
                returned,
            } => deal(deal_id).is_some_and(|d| {
                d.status == DealStatus::Running
                    && match d.offer.inventory_level {
                        Some(shown) if *returned => *left != shown,
                        Some(shown) => *left < shown,
                        None => true,
                    }
            }),
        }
    }
}

/// One live stream.
#[derive(Debug)]
pub struct LiveStream {
    id: String,
    inner: Mutex<Inner>,
    tx: broadcast::Sender<Arc<StreamEvent>>,
    /// Redis, shared with other instances; `None`: this process's own bus.
    bus: Option<Arc<RedisBus>>,
}

#[derive(Debug)]
struct Inner {
    show: Show,
    history: VecDeque<Arc<StreamEvent>>,
}

impl LiveStream {
    /// A stream of this process alone, starting epoch `epoch` with `products` on its shelf.
    pub fn new(
        stream_id: &str,
        epoch: &str,
        products: Vec<live_shop_core::protocol::Product>,
    ) -> Arc<Self> {
        let mut show = Show::new(stream_id, epoch);
        show.products = products;
        show.server_time = now_ms();
        Self::with(show, None)
    }

    /// A stream shared over `bus`, from the state read there.
    pub(crate) fn shared(state: StreamState, bus: Arc<RedisBus>) -> Arc<Self> {
        let mut show = Show::default();
        show.apply(Action::Snapshot(state));
        Self::with(show, Some(bus))
    }

    fn with(show: Show, bus: Option<Arc<RedisBus>>) -> Arc<Self> {
        let (tx, _) = broadcast::channel(HISTORY);
        Arc::new(Self {
            id: show.stream_id.clone(),
            inner: Mutex::new(Inner {
                show,
                history: VecDeque::with_capacity(HISTORY),
            }),
            tx,
            bus,
        })
    }

    /// The stream's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the show half-updated (apply is total),
        // so a poisoned lock is still safe to use.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Publishes a change to every viewer, guarded as [`Guard::of`] says; the event, unless the
    /// guard held it back.
    pub async fn publish(
        self: &Arc<Self>,
        change: Change,
    ) -> Result<Option<Arc<StreamEvent>>, BusError> {
        let guard = Guard::of(&change);
        Ok(self
            .publish_guarded(vec![change], guard)
            .await?
            .into_iter()
            .next())
    }

    /// Publishes `changes`, one after another with nothing in between, if `guard` holds where
    /// changes are put in order; the events published.
    pub async fn publish_guarded(
        self: &Arc<Self>,
        changes: Vec<Change>,
        guard: Guard,
    ) -> Result<Vec<Arc<StreamEvent>>, BusError> {
        if let Some(bus) = &self.bus {
            // Viewers here get them when they come back from the bus, as everywhere else.
            return bus.publish(&self.id, &changes, &guard).await;
        }
        let events = {
            let mut inner = self.lock();
            if !guard.holds(&inner.show) {
                return Ok(Vec::new());
            }
            changes
                .into_iter()
                .map(|change| {
                    let event = Arc::new(StreamEvent {
                        epoch: inner.show.epoch.clone().unwrap_or_default(),
                        seq: inner.show.seq + 1,
                        server_time: now_ms(),
                        change,
                    });
                    Self::record(&mut inner, &self.tx, event.clone());
                    event
                })
                .collect::<Vec<_>>()
        };
        for event in &events {
            self.time_if_deal(event);
        }
        Ok(events)
    }

    /// Applies an event that came from the bus; `NeedsSnapshot` when it does not follow the
    /// show as this process has it (it is then left out).
    pub(crate) fn apply_from_bus(self: &Arc<Self>, event: StreamEvent, timers: bool) -> Outcome {
        let event = Arc::new(event);
        let outcome = {
            let mut inner = self.lock();
            let outcome = inner.show.apply(Action::Event((*event).clone()));
            if outcome != Outcome::NeedsSnapshot {
                Self::remember(&mut inner, &self.tx, event.clone());
            }
            outcome
        };
        if timers && outcome != Outcome::NeedsSnapshot {
            self.time_if_deal(&event);
        }
        outcome
    }

    /// Starts over from `state` read on the bus (a gap, or a new show there): viewers that
    /// resume get the state, as the history no longer follows on.
    pub(crate) fn reset(&self, state: StreamState) {
        let mut inner = self.lock();
        let mut show = Show::default();
        show.apply(Action::Snapshot(state));
        inner.show = show;
        inner.history.clear();
    }

    fn record(
        inner: &mut Inner,
        tx: &broadcast::Sender<Arc<StreamEvent>>,
        event: Arc<StreamEvent>,
    ) {
        inner.show.apply(Action::Event((*event).clone()));
        Self::remember(inner, tx, event);
    }

    fn remember(
        inner: &mut Inner,
        tx: &broadcast::Sender<Arc<StreamEvent>>,
        event: Arc<StreamEvent>,
    ) {
        if inner.history.len() == HISTORY {
            inner.history.pop_front();
        }
        inner.history.push_back(event.clone());
        // No receivers is fine: nobody is watching.
        let _ = tx.send(event);
    }

    /// The current state, stamped with the current server time.
    pub fn state(&self) -> StreamState {
        let mut state = self.lock().show.to_state();
        state.server_time = now_ms();
        state
    }

    /// Reads the show.
    pub fn with_show<T>(&self, f: impl FnOnce(&Show) -> T) -> T {
        f(&self.lock().show)
    }

    /// Subscribes a viewer that last saw `last` (`epoch`, `seq`), atomically with deciding how
    /// it catches up, so no event falls between the two.
    pub fn subscribe(
        &self,
        last: Option<(&str, u64)>,
    ) -> (CatchUp, broadcast::Receiver<Arc<StreamEvent>>) {
        let inner = self.lock();
        let rx = self.tx.subscribe();
        let epoch = inner.show.epoch.as_deref().unwrap_or_default();
        let oldest = inner.history.front().map_or(inner.show.seq + 1, |e| e.seq);
        let catch_up = match last {
            Some((e, seq)) if e == epoch && seq <= inner.show.seq && seq + 1 >= oldest => {
                CatchUp::Replay(
                    inner
                        .history
                        .iter()
                        .filter(|ev| ev.seq > seq)
                        .cloned()
                        .collect(),
                )
            }
            _ => {
                let mut state = inner.show.to_state();
                state.server_time = now_ms();
                CatchUp::Snapshot(state)
            }
        };
        (catch_up, rx)
    }

    /// Schedules a flash deal: every instance that sees it scheduled starts it at `starts_at`
    /// and ends it at `ends_at` unless something ended it first; the guards make each happen
    /// once.
    pub async fn run_deal(self: &Arc<Self>, deal: FlashDeal) -> Result<(), BusError> {
        self.publish(Change::FlashDealScheduled { deal }).await?;
        Ok(())
    }

    fn time_if_deal(self: &Arc<Self>, event: &StreamEvent) {
        if let Change::FlashDealScheduled { deal } = &event.change {
            self.time_deal(&deal.id, deal.starts_at, deal.ends_at);
        }
    }

    /// Times every deal of the show that has not ended: an instance that joins a running show.
    pub(crate) fn time_open_deals(self: &Arc<Self>) {
        let open: Vec<_> = self.with_show(|show| {
            show.flash_deals
                .iter()
                .filter(|d| d.status != DealStatus::Ended)
                .map(|d| (d.id.clone(), d.starts_at, d.ends_at))
                .collect()
        });
        for (id, starts_at, ends_at) in open {
            self.time_deal(&id, starts_at, ends_at);
        }
    }

    fn time_deal(self: &Arc<Self>, id: &str, starts_at: Millis, ends_at: Millis) {
        // Outside a runtime (plain unit tests) nothing is timed.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (stream, id) = (self.clone(), id.to_string());
        runtime.spawn(async move {
            sleep_until_ms(starts_at).await;
            let start = Change::FlashDealStarted {
                deal_id: id.clone(),
            };
            stream
                .publish_patiently(start, Guard::Start(id.clone()))
                .await;
            sleep_until_ms(ends_at).await;
            let end = Change::FlashDealEnded {
                deal_id: id.clone(),
                reason: EndReason::Expired,
            };
            stream.publish_patiently(end, Guard::Expire(id)).await;
        });
    }

    /// Publishes, trying again for a while when the bus is out of reach: a deal's start or end
    /// must not be lost to a blip.
    async fn publish_patiently(self: &Arc<Self>, change: Change, guard: Guard) {
        for attempt in 0..30 {
            match self
                .publish_guarded(vec![change.clone()], guard.clone())
                .await
            {
                Ok(_) => return,
                Err(e) if attempt == 0 => eprintln!("live-shop-server: {e}; trying again"),
                Err(_) => {}
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        eprintln!("live-shop-server: gave up publishing {change:?}");
    }

    /// A deal's status, if the show still has it.
    pub fn deal_status(&self, id: &str) -> Option<DealStatus> {
        self.with_show(|show| {
            show.flash_deals
                .iter()
                .find(|d| d.id == id)
                .map(|d| d.status)
        })
    }
}

async fn sleep_until_ms(at: i64) {
    let wait = at - now_ms();
    if wait > 0 {
        tokio::time::sleep(Duration::from_millis(wait as u64)).await;
    }
}

/// All streams of this server.
#[derive(Debug, Default)]
pub struct Hub {
    streams: Mutex<HashMap<String, Arc<LiveStream>>>,
}

impl Hub {
    /// This process's own streams: `demo`, with `shelf`.
    pub fn local(shelf: Vec<live_shop_core::protocol::Product>) -> Self {
        let hub = Self::default();
        hub.insert(
            "demo",
            LiveStream::new("demo", &crate::bus::new_epoch(), shelf),
        );
        hub
    }

    /// Streams shared with every instance on `bus`: `demo`, whose shelf is `shelf` if this
    /// instance is the first.
    pub async fn shared(
        bus: &Arc<RedisBus>,
        shelf: Vec<live_shop_core::protocol::Product>,
    ) -> Result<Self, BusError> {
        let hub = Self::default();
        hub.insert("demo", bus.join("demo", shelf).await?);
        Ok(hub)
    }

    /// Adds a stream.
    pub fn insert(&self, id: &str, stream: Arc<LiveStream>) {
        self.streams
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id.to_string(), stream);
    }

    /// Every stream.
    pub fn streams(&self) -> Vec<Arc<LiveStream>> {
        self.streams
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .values()
            .cloned()
            .collect()
    }

    /// A stream by id.
    pub fn get(&self, id: &str) -> Option<Arc<LiveStream>> {
        self.streams
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(id)
            .cloned()
    }
}

/// What every bus must do, run on this process's own bus here and on Redis by
/// `tests/redis.rs`. Each takes a new stream, with the embedded catalog's demo shelf.
#[doc(hidden)]
// A failed unwrap is a failed test.
#[allow(clippy::unwrap_used, clippy::panic)]
pub mod conformance {
    use std::sync::Arc;
    use std::time::Duration;

    use live_shop_core::protocol::{Change, DealStatus, EndReason, FlashDeal, StreamEvent};

    use super::{CatchUp, Guard, LiveStream};
    use crate::carts::tell_stock;
    use crate::now_ms;

    /// Waits until this instance has applied `seq`: events published on Redis come back to
    /// every instance, this one included, a moment later.
    pub async fn settled(stream: &LiveStream, seq: u64) {
        for _ in 0..500 {
            if stream.with_show(|s| s.seq) >= seq {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("seq {seq} never arrived");
    }

    async fn publish(stream: &Arc<LiveStream>, change: Change, guard: Guard) -> usize {
        let events = stream.publish_guarded(vec![change], guard).await.unwrap();
        if let Some(last) = events.last() {
            settled(stream, last.seq).await;
        }
        events.len()
    }

    async fn stock(stream: &Arc<LiveStream>, left: u32, returned: bool) -> Vec<Arc<StreamEvent>> {
        let events = tell_stock(stream, "d1", left, returned).await.unwrap();
        if let Some(last) = events.last() {
            settled(stream, last.seq).await;
        }
        events
    }

    /// A deal of ten units on the shelf's first product, starting and ending in `secs` and
    /// `secs + 1` seconds.
    pub fn deal(stream: &LiveStream, secs: f64) -> FlashDeal {
        let product = stream.with_show(|s| s.products[0].clone());
        let mut offer = product.offer().cloned().unwrap();
        offer.inventory_level = Some(10);
        let starts_at = now_ms() + (secs * 1000.0) as i64;
        FlashDeal {
            id: "d1".into(),
            product_id: product.id,
            offer,
            starts_at,
            ends_at: starts_at + 1000,
            status: DealStatus::Scheduled,
            end_reason: None,
            stock_limit: Some(10),
            limit_per_shopper: None,
        }
    }

    fn started() -> Change {
        Change::FlashDealStarted {
            deal_id: "d1".into(),
        }
    }

    fn ended(reason: EndReason) -> Change {
        Change::FlashDealEnded {
            deal_id: "d1".into(),
            reason,
        }
    }

    /// However often instances try, a deal starts once and ends once, and never starts after
    /// it ended.
    pub async fn deals_start_once_and_end_once(stream: Arc<LiveStream>) {
        let deal = deal(&stream, 3600.0);
        let scheduled = Change::FlashDealScheduled { deal };
        assert_eq!(
            publish(&stream, scheduled.clone(), Guard::of(&scheduled)).await,
            1
        );
        assert_eq!(
            publish(
                &stream,
                ended(EndReason::Expired),
                Guard::Expire("d1".into())
            )
            .await,
            0,
            "not running yet"
        );
        assert_eq!(
            publish(&stream, started(), Guard::Start("d1".into())).await,
            1
        );
        assert_eq!(
            publish(&stream, started(), Guard::Start("d1".into())).await,
            0
        );
        assert_eq!(stream.deal_status("d1"), Some(DealStatus::Running));
        assert_eq!(
            publish(
                &stream,
                ended(EndReason::Expired),
                Guard::Expire("d1".into())
            )
            .await,
            1
        );
        assert_eq!(
            publish(
                &stream,
                ended(EndReason::Expired),
                Guard::Expire("d1".into())
            )
            .await,
            0
        );
        assert_eq!(
            publish(
                &stream,
                ended(EndReason::Cancelled),
                Guard::of(&ended(EndReason::Cancelled))
            )
            .await,
            0
        );
        assert_eq!(
            publish(&stream, started(), Guard::Start("d1".into())).await,
            0
        );
        assert_eq!(stream.deal_status("d1"), Some(DealStatus::Ended));
    }

    /// An add's count never raises the one shown; units given back do; zero sells the deal
    /// out once.
    pub async fn counts_go_down_and_sell_out_once(stream: Arc<LiveStream>) {
        let scheduled = Change::FlashDealScheduled {
            deal: deal(&stream, 3600.0),
        };
        publish(&stream, scheduled.clone(), Guard::of(&scheduled)).await;
        assert!(stock(&stream, 8, false).await.is_empty(), "not running yet");
        publish(&stream, started(), Guard::Start("d1".into())).await;
        assert_eq!(stock(&stream, 8, false).await.len(), 1);
        assert!(
            stock(&stream, 9, false).await.is_empty(),
            "an older count came late"
        );
        assert!(
            stock(&stream, 8, false).await.is_empty(),
            "the same count again"
        );
        assert_eq!(stock(&stream, 9, true).await.len(), 1, "a unit came back");
        let shown = stream.with_show(|s| s.flash_deals[0].offer.inventory_level);
        assert_eq!(shown, Some(9));
        let sold_out = stock(&stream, 0, false).await;
        let kinds: Vec<_> = sold_out.iter().map(|e| &e.change).collect();
        assert!(
            matches!(
                kinds[..],
                [
                    Change::StockChanged { .. },
                    Change::FlashDealEnded {
                        reason: EndReason::SoldOut,
                        ..
                    }
                ]
            ),
            "{kinds:?}"
        );
        assert!(stock(&stream, 0, false).await.is_empty());
        assert!(stock(&stream, 2, true).await.is_empty(), "the deal is over");
        assert_eq!(
            publish(
                &stream,
                ended(EndReason::Expired),
                Guard::Expire("d1".into())
            )
            .await,
            0
        );
    }

    /// A deal is started and ended at its times by the instances that saw it scheduled,
    /// once each. `others` are more instances on the same stream.
    pub async fn deals_run_on_time_once(stream: Arc<LiveStream>, others: &[Arc<LiveStream>]) {
        let (_, mut rx) = stream.subscribe(None);
        let deal = deal(&stream, 0.2);
        let ends_at = deal.ends_at;
        stream.run_deal(deal).await.unwrap();
        let mut seen = Vec::new();
        while let Ok(Ok(event)) = tokio::time::timeout(Duration::from_secs(3), rx.recv()).await {
            seen.push(event.change.clone());
        }
        assert!(now_ms() > ends_at);
        assert!(
            matches!(
                seen[..],
                [
                    Change::FlashDealScheduled { .. },
                    Change::FlashDealStarted { .. },
                    Change::FlashDealEnded {
                        reason: EndReason::Expired,
                        ..
                    }
                ]
            ),
            "{seen:?}"
        );
        for other in others {
            settled(other, stream.with_show(|s| s.seq)).await;
            assert_eq!(other.state().flash_deals, stream.state().flash_deals);
        }
    }

    /// A viewer that last saw an event gets the ones after it, each once.
    pub async fn a_viewer_resumes_from_its_last_event(stream: Arc<LiveStream>) {
        let mut last = 0;
        for _ in 0..5 {
            last = stream
                .publish(Change::ShowStarted)
                .await
                .unwrap()
                .unwrap()
                .seq;
        }
        settled(&stream, last).await;
        let epoch = stream.state().epoch;
        match stream.subscribe(Some((&epoch, last - 2))).0 {
            CatchUp::Replay(events) => {
                assert_eq!(
                    events.iter().map(|e| e.seq).collect::<Vec<_>>(),
                    [last - 1, last]
                )
            }
            other => panic!("expected a replay, got {other:?}"),
        }
        match stream.subscribe(Some((&epoch, last))).0 {
            CatchUp::Replay(events) => assert!(events.is_empty()),
            other => panic!("expected a replay, got {other:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use live_shop_core::protocol::Amount;

    fn stream() -> Arc<LiveStream> {
        let catalog = crate::catalog::Catalog::embedded().unwrap();
        LiveStream::new("demo", "ep", catalog.demo_shelf())
    }

    fn price(id: &str, v: f64) -> Change {
        Change::PriceChanged {
            product_id: id.into(),
            price: Amount::new(v).unwrap(),
            original_price: None,
        }
    }

    async fn say(s: &Arc<LiveStream>, change: Change) -> Arc<StreamEvent> {
        s.publish(change).await.unwrap().unwrap()
    }

    #[tokio::test]
    async fn publishing_numbers_events_and_updates_state() {
        let s = stream();
        let first = say(&s, Change::ShowStarted).await;
        let second = say(&s, price("p01", 99.0)).await;
        assert_eq!((first.seq, second.seq), (1, 2));
        let state = s.state();
        assert_eq!(state.seq, 2);
        assert!(state.live);
        assert_eq!(state.products[0].offers[0].price.get(), 99.0);
    }

    #[tokio::test]
    async fn a_viewer_resumes_from_its_last_event() {
        conformance::a_viewer_resumes_from_its_last_event(stream()).await;
    }

    #[tokio::test]
    async fn deals_start_once_and_end_once() {
        conformance::deals_start_once_and_end_once(stream()).await;
    }

    #[tokio::test]
    async fn counts_go_down_and_sell_out_once() {
        conformance::counts_go_down_and_sell_out_once(stream()).await;
    }

    #[tokio::test]
    async fn deals_run_on_time_once() {
        conformance::deals_run_on_time_once(stream(), &[]).await;
    }

    #[tokio::test]
    async fn another_epoch_or_a_future_seq_gets_a_snapshot() {
        let s = stream();
        say(&s, Change::ShowStarted).await;
        assert!(matches!(
            s.subscribe(Some(("old", 1))).0,
            CatchUp::Snapshot(_)
        ));
        assert!(matches!(
            s.subscribe(Some(("ep", 9))).0,
            CatchUp::Snapshot(_)
        ));
        assert!(matches!(s.subscribe(None).0, CatchUp::Snapshot(_)));
    }

    #[tokio::test]
    async fn a_viewer_older_than_the_history_gets_a_snapshot() {
        let s = stream();
        for _ in 0..HISTORY + 10 {
            say(&s, Change::ShowStarted).await;
        }
        assert!(matches!(
            s.subscribe(Some(("ep", 2))).0,
            CatchUp::Snapshot(_)
        ));
        assert!(matches!(
            s.subscribe(Some(("ep", 20))).0,
            CatchUp::Replay(_)
        ));
    }
}
