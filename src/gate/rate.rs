//! Rate limiting per subject: a token bucket spent by each operation's cost
//! (`limits::cost`, priced like the complexity limit), refilled continuously. An empty bucket answers 429
//! `RATE_LIMITED` before execution; every answer reports the budget in `extensions.cost`.
//! In memory, per server process.

use std::{collections::HashMap, sync::Mutex, time::Instant};

/// The budget of one subject.
struct Bucket {
    tokens: f64,
    refilled: Instant,
}

/// Token buckets by subject.
pub struct RateLimiter {
    burst: f64,
    per_second: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    pub fn new(burst: u64, per_second: u64) -> Self {
        Self {
            burst: burst as f64,
            per_second: per_second as f64,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn with_bucket<T>(&self, subject: &str, f: impl FnOnce(&mut Bucket) -> T) -> Option<T> {
        let mut buckets = self.buckets.lock().ok()?;
        let bucket = buckets
            .entry(subject.to_string())
            .or_insert_with(|| Bucket {
                tokens: self.burst,
                refilled: Instant::now(),
            });
        let now = Instant::now();
        let refill = now.duration_since(bucket.refilled).as_secs_f64() * self.per_second;
        bucket.tokens = (bucket.tokens + refill).min(self.burst);
        bucket.refilled = now;
        Some(f(bucket))
    }

    /// The remaining budget, when there is any left (an operation may overdraw it once).
    pub fn available(&self, subject: &str) -> Result<u64, u64> {
        let tokens = self
            .with_bucket(subject, |b| b.tokens)
            .unwrap_or(self.burst);
        if tokens > 0.0 {
            Ok(tokens as u64)
        } else {
            Err(self.seconds_to_positive(tokens))
        }
    }

    /// Spends `cost`; returns what is left.
    pub fn spend(&self, subject: &str, cost: usize) -> i64 {
        self.with_bucket(subject, |b| {
            b.tokens -= cost as f64;
            b.tokens as i64
        })
        .unwrap_or(0)
    }

    fn seconds_to_positive(&self, tokens: f64) -> u64 {
        // Capped at an hour (also what a configuration without refill reports).
        if self.per_second <= 0.0 {
            3600
        } else {
            ((-tokens + 1.0) / self.per_second).ceil().min(3600.0) as u64
        }
    }

    pub fn burst(&self) -> u64 {
        self.burst as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subject_spends_its_own_bucket() {
        let limiter = RateLimiter::new(100, 0);
        assert_eq!(limiter.available("a"), Ok(100));
        assert_eq!(limiter.spend("a", 150), -50);
        assert!(
            limiter.available("a").is_err(),
            "overdrawn until it refills"
        );
        assert_eq!(limiter.available("b"), Ok(100), "others are not affected");
    }
}
