//! Live streams: the authoritative show state, a history of recent events for resuming, and a
//! broadcast to every connected viewer. State changes go through core's `Show::apply`, the same
//! function viewers run.
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use live_shop_core::deal::{Action, Show};
use live_shop_core::protocol::{
    Change, DealStatus, EndReason, FlashDeal, StreamEvent, StreamState,
};
use tokio::sync::broadcast;

use crate::now_ms;

/// Events kept for viewers that resume with `Last-Event-ID`.
const HISTORY: usize = 1024;

/// How a new subscriber catches up.
#[derive(Debug)]
pub enum CatchUp {
    /// Send these missed events, then live ones.
    Replay(Vec<Arc<StreamEvent>>),
    /// The viewer is too far behind or on another epoch: send this state first.
    Snapshot(StreamState),
}

/// One live stream.
#[derive(Debug)]
pub struct LiveStream {
    inner: Mutex<Inner>,
    tx: broadcast::Sender<Arc<StreamEvent>>,
}

#[derive(Debug)]
struct Inner {
    show: Show,
    history: VecDeque<Arc<StreamEvent>>,
}

impl LiveStream {
    /// A stream starting a new epoch with `state` folded in.
    pub fn new(
        stream_id: &str,
        epoch: &str,
        products: Vec<live_shop_core::protocol::Product>,
    ) -> Arc<Self> {
        let mut show = Show::new(stream_id, epoch);
        show.products = products;
        show.server_time = now_ms();
        let (tx, _) = broadcast::channel(HISTORY);
        Arc::new(Self {
            inner: Mutex::new(Inner {
                show,
                history: VecDeque::with_capacity(HISTORY),
            }),
            tx,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the show half-updated (apply is total),
        // so a poisoned lock is still safe to use.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Publishes a change to every viewer and returns the event.
    pub fn publish(&self, change: Change) -> Arc<StreamEvent> {
        let mut inner = self.lock();
        let event = Arc::new(StreamEvent {
            epoch: inner.show.epoch.clone().unwrap_or_default(),
            seq: inner.show.seq + 1,
            server_time: now_ms(),
            change,
        });
        Self::record(&mut inner, &self.tx, event.clone());
        event
    }

    /// Publishes what `decide` makes of the show as it is, with nothing published in between.
    pub fn publish_with(&self, decide: impl FnOnce(&Show) -> Option<Vec<Change>>) {
        let mut inner = self.lock();
        for change in decide(&inner.show).unwrap_or_default() {
            let event = Arc::new(StreamEvent {
                epoch: inner.show.epoch.clone().unwrap_or_default(),
                seq: inner.show.seq + 1,
                server_time: now_ms(),
                change,
            });
            Self::record(&mut inner, &self.tx, event);
        }
    }

    fn record(
        inner: &mut Inner,
        tx: &broadcast::Sender<Arc<StreamEvent>>,
        event: Arc<StreamEvent>,
    ) {
        inner.show.apply(Action::Event((*event).clone()));
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

    /// Schedules a flash deal and runs its life: started at `starts_at`, ended at `ends_at`
    /// unless something ended it first.
    pub fn run_deal(self: &Arc<Self>, deal: FlashDeal) {
        let (id, starts_at, ends_at) = (deal.id.clone(), deal.starts_at, deal.ends_at);
        self.publish(Change::FlashDealScheduled { deal });
        let stream = self.clone();
        tokio::spawn(async move {
            sleep_until_ms(starts_at).await;
            if stream.deal_status(&id) == Some(DealStatus::Scheduled) {
                stream.publish(Change::FlashDealStarted {
                    deal_id: id.clone(),
                });
            }
            sleep_until_ms(ends_at).await;
            if stream.deal_status(&id) == Some(DealStatus::Running) {
                stream.publish(Change::FlashDealEnded {
                    deal_id: id,
                    reason: EndReason::Expired,
                });
            }
        });
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

    #[test]
    fn publishing_numbers_events_and_updates_state() {
        let s = stream();
        let first = s.publish(Change::ShowStarted);
        let second = s.publish(price("p01", 99.0));
        assert_eq!((first.seq, second.seq), (1, 2));
        let state = s.state();
        assert_eq!(state.seq, 2);
        assert!(state.live);
        assert_eq!(state.products[0].offers[0].price.get(), 99.0);
    }

    #[test]
    fn a_viewer_resumes_from_its_last_event() {
        let s = stream();
        for _ in 0..5 {
            s.publish(Change::ShowStarted);
        }
        match s.subscribe(Some(("ep", 3))).0 {
            CatchUp::Replay(events) => {
                assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), [4, 5])
            }
            other => panic!("expected a replay, got {other:?}"),
        }
        match s.subscribe(Some(("ep", 5))).0 {
            CatchUp::Replay(events) => assert!(events.is_empty()),
            other => panic!("expected a replay, got {other:?}"),
        }
    }

    #[test]
    fn another_epoch_or_a_future_seq_gets_a_snapshot() {
        let s = stream();
        s.publish(Change::ShowStarted);
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

    #[test]
    fn a_viewer_older_than_the_history_gets_a_snapshot() {
        let s = stream();
        for _ in 0..HISTORY + 10 {
            s.publish(Change::ShowStarted);
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
