//! A polite live region that does not flood screen readers: at most one announcement per
//! interval, and when several changes come in between, only the newest is read.

/// Throttles announcements.
#[derive(Clone, Debug, PartialEq)]
pub struct Announcer {
    interval_ms: f64,
    last_at: Option<f64>,
    pending: Option<String>,
}

impl Announcer {
    /// At most one announcement every `interval_ms`.
    pub fn new(interval_ms: f64) -> Self {
        Self {
            interval_ms,
            last_at: None,
            pending: None,
        }
    }

    /// Queues `message` at time `now`; returns it if it may be read right away.
    pub fn push(&mut self, now: f64, message: String) -> Option<String> {
        self.pending = Some(message);
        self.due(now)
    }

    /// The message to read now, if the interval has passed.
    pub fn due(&mut self, now: f64) -> Option<String> {
        if self
            .last_at
            .is_some_and(|last| now - last < self.interval_ms)
        {
            return None;
        }
        let message = self.pending.take()?;
        self.last_at = Some(now);
        Some(message)
    }

    /// When to call [`Announcer::due`] again, if something waits.
    pub fn next_due(&self) -> Option<f64> {
        self.pending.as_ref()?;
        Some(self.last_at.map_or(0.0, |last| last + self.interval_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_first_at_once_and_coalesces_the_rest() {
        let mut a = Announcer::new(2_000.0);
        assert_eq!(a.push(0.0, "one".into()).as_deref(), Some("one"));
        assert_eq!(a.push(100.0, "two".into()), None);
        assert_eq!(a.push(200.0, "three".into()), None);
        assert_eq!(a.next_due(), Some(2_000.0));
        assert_eq!(a.due(1_999.0), None);
        assert_eq!(a.due(2_000.0).as_deref(), Some("three"));
        assert_eq!(a.due(5_000.0), None);
        assert_eq!(a.next_due(), None);
    }
}
