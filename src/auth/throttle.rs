//! Login throttling: after `MAX_FAILURES` failed logins for one login name, or
//! `MAX_FAILURES_PER_ADDRESS` from one client address, within `WINDOW`, further attempts
//! are refused with `RATE_LIMITED` until the window passes, so passwords cannot be guessed
//! at speed (nor many logins sprayed from one place). Kept in memory per server process.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

pub const MAX_FAILURES: u32 = 5;
pub const MAX_FAILURES_PER_ADDRESS: u32 = 20;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Above this many tracked keys, expired entries are swept.
const SWEEP_AT: usize = 10_000;

#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginThrottle {
    fn login_key(login: &str) -> String {
        format!("login:{}", login.trim().to_lowercase())
    }

    fn address_key(address: IpAddr) -> String {
        format!("addr:{address}")
    }

    fn under(&self, key: &str, max: u32) -> bool {
        let Ok(map) = self.failures.lock() else {
            return true;
        };
        match map.get(key) {
            Some((count, since)) => *count < max || since.elapsed() > WINDOW,
            None => true,
        }
    }

    /// Whether this login may try now (from `address`, when known).
    pub fn allows(&self, login: &str, address: Option<IpAddr>) -> bool {
        self.under(&Self::login_key(login), MAX_FAILURES)
            && address.is_none_or(|a| self.under(&Self::address_key(a), MAX_FAILURES_PER_ADDRESS))
    }

    fn count(&self, key: String) {
        let Ok(mut map) = self.failures.lock() else {
            return;
        };
        if map.len() > SWEEP_AT {
            map.retain(|_, (_, since)| since.elapsed() <= WINDOW);
        }
        let entry = map.entry(key).or_insert((0, Instant::now()));
        if entry.1.elapsed() > WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }

    /// Records a failed attempt.
    pub fn failed(&self, login: &str, address: Option<IpAddr>) {
        self.count(Self::login_key(login));
        if let Some(a) = address {
            self.count(Self::address_key(a));
        }
    }

    /// Forgets a login's failures after it succeeded.
    pub fn succeeded(&self, login: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&Self::login_key(login));
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
            assert!(t.allows("Alice", None));
            t.failed("alice", None);
        }
        assert!(!t.allows("ALICE ", None), "case and spaces do not matter");
        assert!(t.allows("bob", None));
        t.succeeded("alice");
        assert!(t.allows("alice", None));
    }

    #[test]
    fn one_address_spraying_many_logins_is_blocked() {
        let t = LoginThrottle::default();
        let here: IpAddr = [10, 0, 0, 7].into();
        for i in 0..MAX_FAILURES_PER_ADDRESS {
            assert!(t.allows(&format!("user{i}"), Some(here)));
            t.failed(&format!("user{i}"), Some(here));
        }
        assert!(!t.allows("someone-else", Some(here)));
        assert!(t.allows("someone-else", Some([10, 0, 0, 8].into())));
    }
}
