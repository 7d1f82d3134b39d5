//! Login throttling: after `MAX_FAILURES` failed logins for one login name within
//! `WINDOW`, further attempts are refused with `RATE_LIMITED` until the window passes, so
//! passwords cannot be guessed at speed. Kept in memory per server process.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

pub const MAX_FAILURES: u32 = 5;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Above this many tracked logins, expired entries are swept.
const SWEEP_AT: usize = 10_000;

#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginThrottle {
    fn key(login: &str) -> String {
        login.trim().to_lowercase()
    }

    /// Whether this login may try now.
    pub fn allows(&self, login: &str) -> bool {
        let Ok(map) = self.failures.lock() else {
            return true;
        };
        match map.get(&Self::key(login)) {
            Some((count, since)) => *count < MAX_FAILURES || since.elapsed() > WINDOW,
            None => true,
        }
    }

    /// Records a failed attempt.
    pub fn failed(&self, login: &str) {
        let Ok(mut map) = self.failures.lock() else {
            return;
        };
        if map.len() > SWEEP_AT {
            map.retain(|_, (_, since)| since.elapsed() <= WINDOW);
        }
        let entry = map.entry(Self::key(login)).or_insert((0, Instant::now()));
        if entry.1.elapsed() > WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }

    /// Forgets failures after a successful login.
    pub fn succeeded(&self, login: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&Self::key(login));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_block_that_login_only_until_a_success_clears_it() {
        let t = LoginThrottle::default();
        for _ in 0..MAX_FAILURES {
            assert!(t.allows("Alice"));
            t.failed("alice");
        }
        assert!(!t.allows("ALICE "), "case and spaces do not matter");
        assert!(t.allows("bob"));
        t.succeeded("alice");
        assert!(t.allows("alice"));
    }
}
