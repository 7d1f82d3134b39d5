//! The batcher's own tests: a level of many rows is one batch whatever the interleaving,
//! a load outside a driver runs at once, and what is kept beside the loaders is forgotten
//! with them.

use std::sync::atomic::AtomicUsize;

use super::*;

/// Gives way once, waking at once (as a future that is not done yet would).
async fn give_way() {
    let mut yielded = false;
    poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}

/// Doubles its keys and counts the batches it was asked for.
struct Doubler(Arc<AtomicUsize>);

impl Load<i64> for Doubler {
    type Value = i64;
    type Error = Arc<String>;

    async fn load(&self, keys: &[i64]) -> Result<Map<i64, i64>, Self::Error> {
        self.0.fetch_add(1, Ordering::SeqCst);
        give_way().await;
        Ok(keys.iter().map(|k| (*k, k * 2)).collect())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_level_of_many_rows_is_one_batch_whatever_the_interleaving() {
    for rows in [5_i64, 50, 500] {
        let batches = Arc::new(AtomicUsize::new(0));
        let batcher = Arc::new(Batcher::default());
        let loader = Batched::new(&batcher, Doubler(batches.clone()));
        let work = async_graphql::futures_util::future::join_all((0..rows).map(|i| {
            let loader = loader.clone();
            async move {
                // Rows reach the loader after different amounts of other work.
                for _ in 0..(i % 7) {
                    give_way().await;
                }
                let first = loader.load_one(i).await.ok().flatten();
                // A second level, keyed by the first.
                let second = loader.load_one(1000 + i).await.ok().flatten();
                (first, second)
            }
        }));
        let out = Driven::new(work, batcher).await;
        assert_eq!(out[3], (Some(6), Some(2006)));
        assert_eq!(batches.load(Ordering::SeqCst), 2, "{rows} rows");
    }
}

/// Counts how often it was told to forget.
#[derive(Default)]
struct Kept(AtomicUsize);

impl Forget for Kept {
    fn forget(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn what_a_request_keeps_beside_its_loaders_is_forgotten_with_them() {
    let batcher = Arc::new(Batcher::default());
    let loader = Batched::new(&batcher, Doubler(Arc::default()));
    let kept = Arc::new(Kept::default());
    batcher.keeps(&kept);
    loader.prime(1, 5);
    let events = async_graphql::futures_util::stream::iter([1, 2]).then(|_| {
        let loader = loader.clone();
        async move { loader.load_one(1).await.ok().flatten() }
    });
    let seen: Vec<_> = Driven::new(events, batcher).collect().await;
    // The primed value answers the first event only: the next reads afresh.
    assert_eq!(seen, [Some(5), Some(2)]);
    // After each event, and at the stream's end.
    assert_eq!(kept.0.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn outside_a_driver_a_load_runs_at_once() {
    let batches = Arc::new(AtomicUsize::new(0));
    let batcher = Arc::new(Batcher::default());
    let loader = Batched::new(&batcher, Doubler(batches.clone()));
    assert_eq!(loader.load_one(21).await, Ok(Some(42)));
    assert_eq!(loader.load_one(21).await, Ok(Some(42)), "cached");
    assert_eq!(batches.load(Ordering::SeqCst), 1);
}
