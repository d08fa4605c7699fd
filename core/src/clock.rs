//! Time as node and aggregator see it: a [`Clock`] passed in, so that tests can fake it.
//!
//! Production code holds a [`SystemClock`]; tests hold a [`TestClock`] and move it explicitly,
//! so that a test never depends on the day it runs (midnight, New Year).
//!
//! ```
//! use sovbench_core::clock::{Clock, TestClock};
//! let clock = TestClock::at(1_790_000_000);
//! clock.advance(60);
//! assert_eq!(clock.now(), 1_790_000_060);
//! ```

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// A source of the current time as Unix seconds (UTC).
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time as Unix seconds (UTC).
    fn now(&self) -> i64;
}

/// The shared handle node and aggregator keep.
pub type SharedClock = Arc<dyn Clock>;

/// The system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }
}

impl SystemClock {
    /// The system clock as a shared handle.
    pub fn shared() -> SharedClock {
        Arc::new(SystemClock)
    }
}

/// A clock that stands still until a test moves it.
#[derive(Debug, Default)]
pub struct TestClock(AtomicI64);

impl TestClock {
    /// A clock at `unix_secs`.
    pub fn at(unix_secs: i64) -> TestClock {
        TestClock(AtomicI64::new(unix_secs))
    }

    /// A shared clock at `unix_secs`, and the handle to move it.
    pub fn shared(unix_secs: i64) -> (Arc<TestClock>, SharedClock) {
        let c = Arc::new(TestClock::at(unix_secs));
        (c.clone(), c)
    }

    /// Sets the time.
    pub fn set(&self, unix_secs: i64) {
        self.0.store(unix_secs, Ordering::SeqCst);
    }

    /// Moves the time forward (or back, with a negative `secs`).
    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_clock_moves_only_when_told() {
        let (handle, clock) = TestClock::shared(100);
        assert_eq!(clock.now(), 100);
        handle.advance(-40);
        assert_eq!(clock.now(), 60);
        handle.set(7);
        assert_eq!(clock.now(), 7);
        assert!(SystemClock.now() > 1_700_000_000);
    }
}
