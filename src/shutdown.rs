//! The process's stop, begun once (SIGTERM or Ctrl-C in `serve`) and heard by everything that
//! serves: the HTTP server stops accepting and answers a request that still arrives on an
//! open connection 503 with `Retry-After` (`http::refuse_while_stopping`), `/readyz` says
//! 503 so a load balancer drains the replica, WebSockets close with 1001 (going away), and the
//! outbox and the scheduler finish the unit of work they are in and stop. `serve` waits for
//! all of them up to the grace period (`--shutdown-grace-secs`).

use std::sync::Arc;

use tokio::sync::watch;

#[derive(Clone, Debug)]
pub struct Shutdown(Arc<watch::Sender<bool>>);

impl Default for Shutdown {
    fn default() -> Self {
        Self(Arc::new(watch::channel(false).0))
    }
}

impl Shutdown {
    /// Begins the stop (idempotent).
    pub fn begin(&self) {
        self.0.send_replace(true);
    }

    /// Whether the stop has begun.
    pub fn begun(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once the stop has begun (at once if it has).
    pub async fn wait(&self) {
        let mut heard = self.0.subscribe();
        // The sender lives as long as `self`: `wait_for` ends only by the value.
        let _ = heard.wait_for(|stopping| *stopping).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_listener_hears_the_stop_once_begun() {
        let stop = Shutdown::default();
        let early = tokio::spawn({
            let stop = stop.clone();
            async move { stop.wait().await }
        });
        assert!(!stop.begun());
        stop.begin();
        early.await.expect("the early listener hears it");
        assert!(stop.begun());
        stop.wait().await; // a late listener too, at once
    }
}
