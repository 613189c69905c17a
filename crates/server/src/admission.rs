//! Who gets a visual search now. A search is a second of one core's work and tens of
//! megabytes of pixels, so searches run at most one per core at once, with a bounded queue
//! behind them, and each client at a pace. Past the queue a search is refused at once with
//! 503 and `Retry-After`, and a client past its pace with 429 and `Retry-After`: a flood of
//! uploads costs neither memory nor the other endpoints' answers. With the Redis bus the pace is
//! kept in Redis, so a client is paced alike whichever instance answers it.
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How searches are admitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Searches that run at once.
    pub running: usize,
    /// Searches that may wait behind them.
    pub waiting: usize,
    /// Searches each client may start per minute, on average; 0 for no limit.
    pub per_minute: u32,
    /// Searches a client may start at once before the pace applies.
    pub burst: u32,
}

impl Policy {
    /// One search per core, four per core waiting, and a shopper's pace: a search and its
    /// refinements, a few a second at most, 60 a minute.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self {
            running: cores,
            waiting: 4 * cores,
            per_minute: 60,
            burst: 20,
        }
    }
}

/// Why a search was not admitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Every place, running and waiting, is taken: try again after this.
    Busy(Duration),
    /// This client is past its pace: its next search is allowed after this.
    TooFast(Duration),
}

/// The places and the paces.
pub struct Admission {
    policy: Policy,
    running: Arc<Semaphore>,
    admitted: Arc<Semaphore>,
    pace: Option<DefaultKeyedRateLimiter<IpAddr>>,
    shared: Option<Arc<crate::bus::RedisBus>>,
}

impl std::fmt::Debug for Admission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admission")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// A search admitted: it holds its place in the queue until it has run.
#[derive(Debug)]
pub struct Ticket {
    _place: OwnedSemaphorePermit,
    running: Arc<Semaphore>,
}

impl Admission {
    /// Admission by `policy`.
    pub fn new(policy: Policy) -> Self {
        let running = policy.running.max(1);
        let pace = NonZeroU32::new(policy.per_minute).map(|per_minute| {
            let burst = NonZeroU32::new(policy.burst).unwrap_or(NonZeroU32::MIN);
            RateLimiter::dashmap(Quota::per_minute(per_minute).allow_burst(burst))
        });
        Self {
            policy,
            running: Arc::new(Semaphore::new(running)),
            admitted: Arc::new(Semaphore::new(running + policy.waiting)),
            pace,
            shared: None,
        }
    }

    /// Keeps each client's pace in Redis, shared with every instance on `bus`.
    pub fn share_pace(&mut self, bus: Arc<crate::bus::RedisBus>) {
        self.shared = Some(bus);
    }

    /// A place for `client`'s search, or why not; never waits for a place (only, with a shared
    /// pace, for Redis's answer).
    pub async fn admit(&self, client: IpAddr) -> Result<Ticket, Refusal> {
        if let Some(wait) = self.too_fast(client).await {
            return Err(Refusal::TooFast(wait));
        }
        let place = self
            .admitted
            .clone()
            .try_acquire_owned()
            .map_err(|_| Refusal::Busy(Duration::from_secs(1)))?;
        Ok(Ticket {
            _place: place,
            running: self.running.clone(),
        })
    }

    /// How long `client` must wait, if it is past its pace.
    async fn too_fast(&self, client: IpAddr) -> Option<Duration> {
        let pace = self.pace.as_ref()?;
        if let Some(bus) = &self.shared {
            let interval = Duration::from_secs(60) / self.policy.per_minute.max(1);
            match bus
                .pace("search", &client.to_string(), interval, self.policy.burst)
                .await
            {
                Ok(wait) => return wait,
                // Redis away: this instance's own pace holds meanwhile.
                Err(e) => eprintln!("live-shop-server: search pace: {e}"),
            }
        }
        pace.check_key(&client)
            .err()
            .map(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Forgets clients whose pace is back to a full burst, so the table holds only recent ones.
    pub fn forget_idle_clients(&self) {
        if let Some(pace) = &self.pace {
            pace.retain_recent();
            pace.shrink_to_fit();
        }
    }
}

impl Ticket {
    /// Runs `work` on a blocking thread once a core's place is free.
    pub async fn run<T: Send + 'static>(
        self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, tokio::task::JoinError> {
        // The semaphore is never closed.
        let _core = self.running.clone().acquire_owned().await;
        tokio::task::spawn_blocking(work).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHOPPER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 7));

    #[tokio::test]
    async fn past_the_running_and_waiting_places_a_search_is_refused_at_once() {
        let admission = Admission::new(Policy {
            running: 1,
            waiting: 2,
            per_minute: 0,
            burst: 0,
        });
        let mut held = Vec::new();
        for _ in 0..3 {
            held.push(admission.admit(SHOPPER).await.unwrap());
        }
        assert_eq!(
            admission.admit(SHOPPER).await.unwrap_err(),
            Refusal::Busy(Duration::from_secs(1))
        );
        drop(held);
        let ticket = admission.admit(SHOPPER).await.unwrap();
        assert_eq!(ticket.run(|| 6 * 7).await.unwrap(), 42);
    }

    #[tokio::test]
    async fn only_as_many_run_at_once_as_there_are_running_places() {
        let admission = Arc::new(Admission::new(Policy {
            running: 2,
            waiting: 6,
            per_minute: 0,
            burst: 0,
        }));
        let now = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let most = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut runs = Vec::new();
        for _ in 0..8 {
            let ticket = admission.admit(SHOPPER).await.unwrap();
            let (now, most) = (now.clone(), most.clone());
            runs.push(tokio::spawn(ticket.run(move || {
                use std::sync::atomic::Ordering::SeqCst;
                let at_once = now.fetch_add(1, SeqCst) + 1;
                most.fetch_max(at_once, SeqCst);
                std::thread::sleep(Duration::from_millis(30));
                now.fetch_sub(1, SeqCst);
            })));
        }
        for run in runs {
            run.await.unwrap().unwrap();
        }
        assert_eq!(most.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_client_past_its_pace_waits_and_others_do_not() {
        let admission = Admission::new(Policy {
            running: 1,
            waiting: 100,
            per_minute: 6,
            burst: 3,
        });
        let mut held = Vec::new();
        for _ in 0..3 {
            held.push(admission.admit(SHOPPER).await.unwrap());
        }
        match admission.admit(SHOPPER).await.unwrap_err() {
            // 6 a minute: one every 10 s.
            Refusal::TooFast(wait) => assert!(
                wait > Duration::from_secs(9) && wait <= Duration::from_secs(10),
                "{wait:?}"
            ),
            other => panic!("{other:?}"),
        }
        let other = IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 1));
        assert!(admission.admit(other).await.is_ok());
    }
}
