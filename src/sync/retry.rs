//! How long `sync` keeps going when the remote keeps moving: every clone of a team
//! pushes to the one ref, so a push can lose the race many times in a row while the
//! others make progress. Giving up after a count of rounds punished the clone that
//! was unlucky; this gives up only after a time, with pauses that grow and are
//! drawn at random, so that clones that collided do not collide again in step.

use std::time::{Duration, Instant};

/// How long sync tries by default, in seconds (`milestone.syncTimeout`).
pub const DEFAULT_TIMEOUT_SECS: u64 = 60;
/// The first pause's ceiling; each round doubles it up to [`MAX_PAUSE`]. The ceiling
/// stays low: a clone that lost many times must not wait longer than one that just
/// won, or the same clones keep winning (with 8 clones and a 2 s ceiling, one clone
/// lost 27 rounds in a row while the others pushed).
const FIRST_PAUSE: Duration = Duration::from_millis(10);
const MAX_PAUSE: Duration = Duration::from_millis(160);

/// The rounds of one sync, and the time they may take.
pub(super) struct Retry {
    started: Instant,
    limit: Duration,
    /// Rounds after the first.
    pub retries: u32,
}

impl Retry {
    pub(super) fn new(limit: Duration) -> Self {
        Retry {
            started: Instant::now(),
            limit,
            retries: 0,
        }
    }

    /// Pauses before another round; `false`, without pausing, when that round would
    /// start after the time limit.
    pub(super) fn pause(&mut self) -> bool {
        let pause = crate::store::jitter(ceiling(self.retries));
        if self.started.elapsed() + pause >= self.limit {
            return false;
        }
        std::thread::sleep(pause);
        self.retries += 1;
        true
    }

    /// Seconds since the first round, for messages.
    pub(super) fn elapsed_secs(&self) -> u64 {
        self.started.elapsed().as_secs()
    }
}

/// The ceiling of the pause after `retries` rounds.
fn ceiling(retries: u32) -> Duration {
    FIRST_PAUSE
        .saturating_mul(1 << retries.min(16))
        .min(MAX_PAUSE)
}

/// The time limit `milestone.syncTimeout` sets (seconds), else the default.
pub fn timeout(config: Option<&git2::Config>) -> Duration {
    let secs = crate::config::get(config, "milestone.syncTimeout")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(DEFAULT_TIMEOUT_SECS);
    Duration::from_secs(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_grow_to_a_ceiling() {
        assert_eq!(ceiling(0), FIRST_PAUSE);
        assert_eq!(ceiling(1), FIRST_PAUSE * 2);
        assert_eq!(ceiling(3), FIRST_PAUSE * 8);
        assert_eq!(ceiling(4), MAX_PAUSE);
        assert_eq!(ceiling(7), MAX_PAUSE);
        assert_eq!(ceiling(u32::MAX), MAX_PAUSE);
    }

    #[test]
    fn pauses_are_drawn_below_the_ceiling_and_differ() {
        let draws: Vec<_> = (0..64).map(|_| crate::store::jitter(ceiling(3))).collect();
        assert!(draws.iter().all(|d| *d <= ceiling(3)));
        let first = draws[0];
        assert!(draws.iter().any(|d| *d != first), "jittered: {draws:?}");
    }

    #[test]
    fn no_round_starts_after_the_limit() {
        let mut retry = Retry::new(Duration::ZERO);
        assert!(!retry.pause());
        assert_eq!(retry.retries, 0);
        let mut retry = Retry::new(Duration::from_secs(60));
        assert!(retry.pause());
        assert!(retry.pause());
        assert_eq!(retry.retries, 2);
    }
}
