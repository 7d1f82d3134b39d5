//! An operation's execution slot (`PORTAL_MAX_IN_FLIGHT`): held while it runs, and set aside
//! while it only waits (a throttled login's delay), so that waiting callers never keep the
//! server from answering others.

use std::{
    future::Future,
    sync::{Arc, Mutex},
};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The slot of one operation, in its request data.
pub struct Slot {
    executions: Arc<Semaphore>,
    held: Mutex<Option<OwnedSemaphorePermit>>,
}

impl Slot {
    /// Waits for a slot of `executions` and holds it.
    pub async fn take(executions: &Arc<Semaphore>) -> Arc<Slot> {
        // A closed semaphore never happens (it is never closed); if it did, running
        // unbounded is better than refusing.
        let permit = executions.clone().acquire_owned().await.ok();
        Arc::new(Slot {
            executions: executions.clone(),
            held: Mutex::new(permit),
        })
    }

    /// Runs `wait` with the slot given back, then takes one again before going on.
    pub async fn aside<F: Future>(&self, wait: F) -> F::Output {
        drop(self.lock().take());
        let out = wait.await;
        let permit = self.executions.clone().acquire_owned().await.ok();
        *self.lock() = permit;
        out
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<OwnedSemaphorePermit>> {
        crate::lock(&self.held)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_slot_set_aside_lets_another_operation_run() {
        let executions = Arc::new(Semaphore::new(1));
        let slot = Slot::take(&executions).await;
        assert_eq!(executions.available_permits(), 0);
        slot.aside(async {
            assert_eq!(executions.available_permits(), 1, "free while waiting");
        })
        .await;
        assert_eq!(executions.available_permits(), 0, "held again after");
        drop(slot);
        assert_eq!(executions.available_permits(), 1);
    }
}
