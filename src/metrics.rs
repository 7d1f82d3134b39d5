//! Prometheus metrics in text format: HTTP requests by status class, request latency
//! histogram, and `portal_db_queries_total` (every SQL statement executed). One `Metrics`
//! per app instance, so parallel test servers in one process do not mix their counts.

use std::{
    fmt::Write,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

const BUCKETS_MS: [u64; 10] = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 5000];

#[derive(Default)]
pub struct Metrics {
    /// GraphQL operations by trusted document name (`other` for the rest).
    operations: std::sync::Mutex<std::collections::BTreeMap<&'static str, u64>>,
    /// Scheduler runs by (job, outcome).
    job_runs: std::sync::Mutex<std::collections::BTreeMap<(&'static str, &'static str), u64>>,
    requests_2xx: AtomicU64,
    requests_4xx: AtomicU64,
    requests_5xx: AtomicU64,
    latency_buckets: [AtomicU64; BUCKETS_MS.len()],
    latency_sum_us: AtomicU64,
    latency_count: AtomicU64,
    db_queries: AtomicU64,
    db_query_errors: AtomicU64,
    db_query_time_us: AtomicU64,
    /// Queries a compiled plan answered, and those it handed to the resolvers.
    plan_answered: AtomicU64,
    plan_declined: AtomicU64,
}

impl Metrics {
    pub fn record_request(&self, status: u16, elapsed: Duration) {
        let counter = match status {
            500.. => &self.requests_5xx,
            400..500 => &self.requests_4xx,
            _ => &self.requests_2xx,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        let ms = elapsed.as_millis() as u64;
        for (i, bound) in BUCKETS_MS.iter().enumerate() {
            if ms <= *bound {
                self.latency_buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_sum_us
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
        self.latency_count.fetch_add(1, Ordering::Relaxed);
    }

    pub fn record_query(&self, elapsed: Duration, failed: bool) {
        self.db_queries.fetch_add(1, Ordering::Relaxed);
        if failed {
            self.db_query_errors.fetch_add(1, Ordering::Relaxed);
        }
        self.db_query_time_us
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }

    /// Counts one GraphQL operation by its trusted document's name (bounded: the manifest's
    /// names and `other`).
    pub fn record_operation(&self, name: &'static str) {
        if let Ok(mut ops) = self.operations.lock() {
            *ops.entry(name).or_default() += 1;
        }
    }

    /// Counts one run of a scheduled job.
    pub fn record_job(&self, job: &'static str, ok: bool) {
        let outcome = if ok { "ok" } else { "failed" };
        if let Ok(mut runs) = self.job_runs.lock() {
            *runs.entry((job, outcome)).or_default() += 1;
        }
    }

    /// Counts a query a compiled plan answered (`true`) or handed to the resolvers.
    pub fn record_plan(&self, answered: bool) {
        let counter = if answered {
            &self.plan_answered
        } else {
            &self.plan_declined
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// SQL statements executed so far.
    pub fn db_queries(&self) -> u64 {
        self.db_queries.load(Ordering::Relaxed)
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "# HELP portal_http_requests_total HTTP requests served, by status class."
        );
        let _ = writeln!(out, "# TYPE portal_http_requests_total counter");
        for (class, c) in [
            ("2xx", &self.requests_2xx),
            ("4xx", &self.requests_4xx),
            ("5xx", &self.requests_5xx),
        ] {
            let _ = writeln!(
                out,
                "portal_http_requests_total{{status=\"{class}\"}} {}",
                get(c)
            );
        }
        let _ = writeln!(
            out,
            "# HELP portal_http_request_duration_seconds HTTP request latency."
        );
        let _ = writeln!(out, "# TYPE portal_http_request_duration_seconds histogram");
        for (i, bound) in BUCKETS_MS.iter().enumerate() {
            let le = *bound as f64 / 1000.0;
            let _ = writeln!(
                out,
                "portal_http_request_duration_seconds_bucket{{le=\"{le}\"}} {}",
                get(&self.latency_buckets[i])
            );
        }
        let count = get(&self.latency_count);
        let _ = writeln!(
            out,
            "portal_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "portal_http_request_duration_seconds_sum {}",
            get(&self.latency_sum_us) as f64 / 1e6
        );
        let _ = writeln!(out, "portal_http_request_duration_seconds_count {count}");
        let _ = writeln!(
            out,
            "# HELP portal_db_queries_total SQL statements executed."
        );
        let _ = writeln!(out, "# TYPE portal_db_queries_total counter");
        let _ = writeln!(out, "portal_db_queries_total {}", get(&self.db_queries));
        let _ = writeln!(
            out,
            "# HELP portal_db_query_errors_total SQL statements that failed."
        );
        let _ = writeln!(out, "# TYPE portal_db_query_errors_total counter");
        let _ = writeln!(
            out,
            "portal_db_query_errors_total {}",
            get(&self.db_query_errors)
        );
        let _ = writeln!(
            out,
            "# HELP portal_db_query_seconds_total Time spent in SQL statements."
        );
        let _ = writeln!(out, "# TYPE portal_db_query_seconds_total counter");
        let _ = writeln!(
            out,
            "portal_db_query_seconds_total {}",
            get(&self.db_query_time_us) as f64 / 1e6
        );
        let _ = writeln!(
            out,
            "# HELP portal_graphql_operations_total GraphQL operations, by trusted document (other: the rest)."
        );
        let _ = writeln!(out, "# TYPE portal_graphql_operations_total counter");
        if let Ok(ops) = self.operations.lock() {
            for (name, n) in ops.iter() {
                let _ = writeln!(
                    out,
                    "portal_graphql_operations_total{{operation=\"{name}\"}} {n}"
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP portal_plan_queries_total Queries with a compiled plan, by who answered them (declined: the resolvers)."
        );
        let _ = writeln!(out, "# TYPE portal_plan_queries_total counter");
        for (label, counter) in [
            ("answered", &self.plan_answered),
            ("declined", &self.plan_declined),
        ] {
            let _ = writeln!(
                out,
                "portal_plan_queries_total{{outcome=\"{label}\"}} {}",
                get(counter)
            );
        }
        let _ = writeln!(
            out,
            "# HELP portal_job_runs_total Scheduled job runs by this process, by outcome."
        );
        let _ = writeln!(out, "# TYPE portal_job_runs_total counter");
        if let Ok(runs) = self.job_runs.lock() {
            for ((job, outcome), n) in runs.iter() {
                let _ = writeln!(
                    out,
                    "portal_job_runs_total{{job=\"{job}\",outcome=\"{outcome}\"}} {n}"
                );
            }
        }
        out
    }
}
