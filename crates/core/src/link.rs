//! The live link to the backend: Server-Sent Events first, polling with ETags while SSE is
//! down, reconnection with capped backoff, and when to tell the shopper "reconnecting".
//!
//! A stream that drops is first reopened from its last event (the backend replays what was
//! missed, on whichever instance answers); polling starts only when that fails too, so a viewer
//! whose instance dies resumes by replay, and its viewers do not all fetch the whole state at once.

/// Something that happened to the link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkEvent {
    /// The event stream opened.
    StreamOpened,
    /// The event stream failed or closed.
    StreamFailed,
    /// A state poll answered (200 or 304).
    PollSucceeded,
    /// A state poll failed.
    PollFailed,
    /// The backend has no such stream (its state answered 404): nothing to reconnect to, for
    /// now; polls go on, and the stream is shown once it exists.
    StreamUnknown,
}

/// The link's state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Link {
    stream_open: bool,
    stream_failures: u32,
    poll_ok: Option<bool>,
    unknown: bool,
}

const MAX_BACKOFF_MS: u32 = 15_000;

impl Link {
    /// Records an event.
    pub fn on(&mut self, event: LinkEvent) {
        match event {
            LinkEvent::StreamOpened => {
                self.stream_open = true;
                self.stream_failures = 0;
                self.poll_ok = None;
                self.unknown = false;
            }
            LinkEvent::StreamFailed => {
                // Polls that worked before the drop prove nothing about now.
                if self.stream_open {
                    self.poll_ok = None;
                }
                self.stream_open = false;
                self.stream_failures = self.stream_failures.saturating_add(1);
            }
            LinkEvent::PollSucceeded => {
                self.poll_ok = Some(true);
                self.unknown = false;
            }
            LinkEvent::PollFailed => self.poll_ok = Some(false),
            LinkEvent::StreamUnknown => {
                self.poll_ok = Some(false);
                self.unknown = true;
            }
        }
    }

    /// Whether to tell the shopper that this stream does not exist (instead of "reconnecting").
    pub fn unknown(&self) -> bool {
        self.unknown
    }

    /// Whether the shopper should see "reconnecting": the stream is down and polling has not
    /// (yet) proved that updates still get through.
    pub fn reconnecting(&self) -> bool {
        self.stream_failures > 0 && !self.stream_open && self.poll_ok != Some(true) && !self.unknown
    }

    /// Whether to poll the state: only while the stream is down and reopening it has failed
    /// (or it never opened).
    pub fn should_poll(&self) -> bool {
        !self.stream_open && self.stream_failures > 1
    }

    /// How long to wait before opening the stream again: 0.5 s, 1 s, 2 s … up to 15 s, with
    /// `jitter` in `0.0..1.0` spreading clients out by up to a fifth.
    pub fn retry_delay_ms(&self, jitter: f64) -> u32 {
        let exp = self.stream_failures.saturating_sub(1).min(5);
        let base = (500u32 << exp).min(MAX_BACKOFF_MS);
        let spread = f64::from(base) * 0.2 * jitter.clamp(0.0, 1.0);
        base + spread as u32
    }

    /// Polling interval while the stream is down.
    pub fn poll_interval_ms(&self) -> u32 {
        if self.poll_ok == Some(false) {
            3_000
        } else {
            2_000
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_healthy_stream_shows_nothing_and_does_not_poll() {
        let mut link = Link::default();
        link.on(LinkEvent::StreamOpened);
        assert!(!link.reconnecting());
        assert!(!link.should_poll());
    }

    #[test]
    fn a_dropped_stream_shows_reconnecting_until_it_is_back() {
        let mut link = Link::default();
        link.on(LinkEvent::StreamOpened);
        link.on(LinkEvent::StreamFailed);
        assert!(link.reconnecting());
        // First it reopens the stream, to resume by replay.
        assert!(!link.should_poll());
        link.on(LinkEvent::StreamFailed);
        assert!(link.should_poll());
        link.on(LinkEvent::PollFailed);
        assert!(link.reconnecting());
        link.on(LinkEvent::StreamOpened);
        assert!(!link.reconnecting());
    }

    #[test]
    fn a_poll_from_before_the_drop_does_not_hide_reconnecting() {
        let mut link = Link::default();
        link.on(LinkEvent::PollSucceeded);
        link.on(LinkEvent::StreamOpened);
        link.on(LinkEvent::StreamFailed);
        assert!(link.reconnecting());
    }

    #[test]
    fn a_stream_that_drops_once_resumes_before_any_poll() {
        let mut link = Link::default();
        link.on(LinkEvent::StreamOpened);
        link.on(LinkEvent::StreamFailed);
        assert!(!link.should_poll());
        assert_eq!(link.retry_delay_ms(0.0), 500);
        link.on(LinkEvent::StreamOpened);
        assert!(!link.should_poll());
        assert!(!link.reconnecting());
    }

    #[test]
    fn an_unknown_stream_says_so_instead_of_reconnecting_until_it_exists() {
        let mut link = Link::default();
        link.on(LinkEvent::StreamUnknown);
        link.on(LinkEvent::StreamFailed);
        link.on(LinkEvent::StreamFailed);
        assert!(link.unknown());
        assert!(!link.reconnecting());
        // It is still looked for, slowly.
        assert!(link.should_poll());
        assert_eq!(link.poll_interval_ms(), 3_000);
        // The show begins: its state answers.
        link.on(LinkEvent::PollSucceeded);
        assert!(!link.unknown());
        link.on(LinkEvent::StreamUnknown);
        link.on(LinkEvent::StreamOpened);
        assert!(!link.unknown());
    }

    #[test]
    fn working_polls_hide_reconnecting() {
        let mut link = Link::default();
        link.on(LinkEvent::StreamFailed);
        link.on(LinkEvent::StreamFailed);
        link.on(LinkEvent::PollSucceeded);
        assert!(!link.reconnecting());
        assert!(link.should_poll());
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let mut link = Link::default();
        let mut delays = vec![];
        for _ in 0..8 {
            link.on(LinkEvent::StreamFailed);
            delays.push(link.retry_delay_ms(0.0));
        }
        assert_eq!(delays, [500, 1000, 2000, 4000, 8000, 15000, 15000, 15000]);
        assert_eq!(link.retry_delay_ms(1.0), 18_000);
    }
}
