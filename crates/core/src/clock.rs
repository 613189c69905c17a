//! Server time on the device, and countdowns that never run backwards.
//!
//! Device clocks are often minutes off. Every response carries server time; the widget keeps
//! the offset measured with the shortest round trip (the least uncertain), NTP-style.
use crate::protocol::Millis;

/// Estimates the server clock from the device clock.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServerClock {
    offset_ms: Option<f64>,
    best_rtt_ms: Option<f64>,
}

impl ServerClock {
    /// Records a request sent at `sent` and answered at `received` (device clock, ms) whose
    /// answer says the server time was `server_time`.
    pub fn observe_round_trip(&mut self, sent: f64, received: f64, server_time: Millis) {
        if !(sent.is_finite() && received.is_finite()) || received < sent {
            return;
        }
        let rtt = received - sent;
        // A sample much slower than the best one is mostly queueing noise; a much older best
        // sample is still good, since clocks drift by milliseconds per hour.
        if self.best_rtt_ms.is_some_and(|best| rtt > best * 1.5 + 20.0) {
            return;
        }
        self.best_rtt_ms = Some(self.best_rtt_ms.map_or(rtt, |best| best.min(rtt)));
        self.offset_ms = Some(server_time as f64 - (sent + received) / 2.0);
    }

    /// Records a one-way message (an SSE event) received at `received`. Used only until a round
    /// trip has been measured: it underestimates the offset by the network latency.
    pub fn observe_one_way(&mut self, received: f64, server_time: Millis) {
        if self.offset_ms.is_none() && received.is_finite() {
            self.offset_ms = Some(server_time as f64 - received);
        }
    }

    /// Server time now, given the device time now.
    pub fn now(&self, device_now: f64) -> Millis {
        (device_now + self.offset_ms.unwrap_or(0.0)).round() as Millis
    }

    /// Whether any sample has been taken.
    pub fn is_synced(&self) -> bool {
        self.offset_ms.is_some()
    }
}

/// What a countdown shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Before start: seconds until it starts.
    StartsIn(u64),
    /// Running: seconds until it ends.
    EndsIn(u64),
    /// Over.
    Ended,
}

/// A countdown to a deal's start and end that never shows more time left than it showed a
/// moment before, even when the clock estimate moves.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Countdown {
    last: Option<(String, Phase)>,
}

impl Countdown {
    /// The phase of the deal `key` running from `starts_at` to `ends_at`, at server time `now`.
    pub fn tick(&mut self, key: &str, starts_at: Millis, ends_at: Millis, now: Millis) -> Phase {
        let raw = raw_phase(starts_at, ends_at, now);
        let shown = match &self.last {
            Some((last_key, last)) if last_key == key => monotonic(*last, raw),
            _ => raw,
        };
        self.last = Some((key.to_string(), shown));
        shown
    }
}

fn raw_phase(starts_at: Millis, ends_at: Millis, now: Millis) -> Phase {
    let ceil_secs = |ms: Millis| (ms.max(0) as u64).div_ceil(1000);
    if now < starts_at {
        Phase::StartsIn(ceil_secs(starts_at - now))
    } else if now < ends_at {
        Phase::EndsIn(ceil_secs(ends_at - now))
    } else {
        Phase::Ended
    }
}

fn monotonic(last: Phase, raw: Phase) -> Phase {
    match (last, raw) {
        (Phase::Ended, _) => Phase::Ended,
        (Phase::EndsIn(_), Phase::StartsIn(_)) => last,
        (Phase::EndsIn(a), Phase::EndsIn(b)) => Phase::EndsIn(a.min(b)),
        (Phase::StartsIn(a), Phase::StartsIn(b)) => Phase::StartsIn(a.min(b)),
        _ => raw,
    }
}

/// Splits seconds into hours, minutes and seconds.
pub fn hms(secs: u64) -> (u64, u64, u64) {
    (secs / 3600, secs / 60 % 60, secs % 60)
}

/// `m:ss` or `h:mm:ss`, with ASCII digits (localised later).
pub fn clock_text(secs: u64) -> String {
    match hms(secs) {
        (0, m, s) => format!("{m}:{s:02}"),
        (h, m, s) => format!("{h}:{m:02}:{s:02}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrects_a_device_clock_that_is_five_minutes_slow() {
        let mut clock = ServerClock::default();
        let server_ahead = 300_000.0;
        // Sent at 1000, answered at 1100; the server stamped the middle.
        clock.observe_round_trip(1000.0, 1100.0, (1050.0 + server_ahead) as Millis);
        assert_eq!(clock.now(2000.0), 302_000);
    }

    #[test]
    fn keeps_the_least_uncertain_sample() {
        let mut clock = ServerClock::default();
        clock.observe_round_trip(0.0, 40.0, 1020);
        // A slow sample with a different answer is ignored.
        clock.observe_round_trip(100.0, 900.0, 9999);
        assert_eq!(clock.now(0.0), 1000);
    }

    #[test]
    fn one_way_samples_only_fill_a_gap() {
        let mut clock = ServerClock::default();
        clock.observe_one_way(500.0, 1500);
        assert_eq!(clock.now(0.0), 1000);
        clock.observe_round_trip(0.0, 10.0, 2005);
        clock.observe_one_way(0.0, 99_999);
        assert_eq!(clock.now(0.0), 2000);
    }

    #[test]
    fn counts_down_to_start_then_to_end() {
        let mut c = Countdown::default();
        assert_eq!(c.tick("d", 10_000, 70_000, 0), Phase::StartsIn(10));
        assert_eq!(c.tick("d", 10_000, 70_000, 9_001), Phase::StartsIn(1));
        assert_eq!(c.tick("d", 10_000, 70_000, 10_000), Phase::EndsIn(60));
        assert_eq!(c.tick("d", 10_000, 70_000, 69_999), Phase::EndsIn(1));
        assert_eq!(c.tick("d", 10_000, 70_000, 70_000), Phase::Ended);
    }

    #[test]
    fn never_jumps_backwards_when_the_clock_estimate_moves() {
        let mut c = Countdown::default();
        assert_eq!(c.tick("d", 0, 60_000, 30_000), Phase::EndsIn(30));
        // A better clock sample moves "now" back by 5 s: the display holds instead of rising.
        assert_eq!(c.tick("d", 0, 60_000, 25_000), Phase::EndsIn(30));
        assert_eq!(c.tick("d", 0, 60_000, 31_500), Phase::EndsIn(29));
        // Once ended it stays ended.
        assert_eq!(c.tick("d", 0, 60_000, 60_000), Phase::Ended);
        assert_eq!(c.tick("d", 0, 60_000, 59_000), Phase::Ended);
    }

    #[test]
    fn a_new_deal_starts_its_own_countdown() {
        let mut c = Countdown::default();
        assert_eq!(c.tick("a", 0, 10_000, 9_000), Phase::EndsIn(1));
        assert_eq!(c.tick("b", 0, 60_000, 9_000), Phase::EndsIn(51));
    }

    #[test]
    fn formats_clock_text() {
        assert_eq!(clock_text(5), "0:05");
        assert_eq!(clock_text(125), "2:05");
        assert_eq!(clock_text(3_725), "1:02:05");
    }
}
