//! Deterministic batching for the request's DataLoaders. A load registers its key and
//! waits; the keys a request registered are loaded together once the request has nothing
//! else to do (its future is pending and was not woken while it ran) and no batch of it is
//! in flight. So each level of a query costs one statement per relation, whatever the page
//! size and however the executor interleaves rows: no batching window, no spawned task
//! racing the executor (async-graphql's own `DataLoader` starts a batch on a timer, even
//! with a zero delay, and so batches whatever was registered by then).
//!
//! [`Driven`] runs a request (or a subscription's stream) and its batches in one task;
//! [`Batched`] is one loader. A loader used outside a driver loads at once, unbatched.

use std::{
    collections::HashMap,
    future::Future,
    hash::Hash,
    pin::Pin,
    sync::{
        Arc, Mutex, Weak,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll, Wake, Waker},
};

use async_graphql::futures_util::{
    Stream, StreamExt,
    future::{BoxFuture, poll_fn},
    stream::FuturesUnordered,
};

/// Most keys one statement is asked for (well under SQLite's and PostgreSQL's bind limits).
const MAX_BATCH: usize = 1000;

use crate::lock;

/// A loader with keys waiting for the next batch.
trait Dispatch: Send + Sync {
    fn dispatch(self: Arc<Self>) -> BoxFuture<'static, ()>;
    fn clear(&self);
}

/// What a request keeps beside its loaders' caches (rows one loader hands another,
/// [`super::loaders::Seen`]), forgotten with them.
pub trait Forget: Send + Sync {
    fn forget(&self);
}

/// The loads of one request: which loaders have keys waiting.
#[derive(Default)]
pub struct Batcher {
    queued: Mutex<Vec<Arc<dyn Dispatch>>>,
    loaders: Mutex<Vec<Weak<dyn Dispatch>>>,
    kept: Mutex<Vec<Weak<dyn Forget>>>,
    driven: AtomicBool,
}

impl Batcher {
    fn enqueue(&self, loader: Arc<dyn Dispatch>) {
        lock(&self.queued).push(loader);
    }

    fn take(&self) -> Vec<Arc<dyn Dispatch>> {
        std::mem::take(&mut *lock(&self.queued))
    }

    /// Forgets every loaded value (a subscription does so between events).
    fn clear(&self) {
        for loader in lock(&self.loaders).iter().filter_map(Weak::upgrade) {
            loader.clear();
        }
        for kept in lock(&self.kept).iter().filter_map(Weak::upgrade) {
            kept.forget();
        }
    }

    /// Forgets what `kept` holds whenever the loaders' values are forgotten.
    pub fn keeps<T: Forget + 'static>(&self, kept: &Arc<T>) {
        let weak: Weak<dyn Forget> = Arc::downgrade(kept) as Weak<dyn Forget>;
        lock(&self.kept).push(weak);
    }
}

pub use crate::Map;

/// What a [`Batched`] loads with: the values of many keys, read together. async-graphql's
/// `Loader`, but answering in a [`Map`]: its std `HashMap` hashed each row's key with
/// SipHash, a tenth of a nested page's instructions.
pub trait Load<K>: Send + Sync + 'static {
    type Value: Send + Sync + Clone + 'static;
    type Error: Send + Clone + 'static;

    fn load(
        &self,
        keys: &[K],
    ) -> impl Future<Output = Result<Map<K, Self::Value>, Self::Error>> + Send;
}

enum Slot<V, E> {
    Loading(Vec<Waker>),
    Ready(Option<V>),
    Failed(E),
}

struct State<K, V, E> {
    slots: Map<K, Slot<V, E>>,
    pending: Vec<K>,
    queued: bool,
}

/// One loader of a request: caches what it loaded for the rest of the request.
pub struct Batched<K, L: Load<K>>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
{
    loader: L,
    batcher: Arc<Batcher>,
    me: Weak<Self>,
    state: Mutex<State<K, L::Value, L::Error>>,
}

impl<K, L> Batched<K, L>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    L: Load<K>,
{
    pub fn new(batcher: &Arc<Batcher>, loader: L) -> Arc<Self> {
        let created = Arc::new_cyclic(|me| Self {
            loader,
            batcher: batcher.clone(),
            me: me.clone(),
            state: Mutex::new(State {
                slots: Map::default(),
                pending: Vec::new(),
                queued: false,
            }),
        });
        let weak: Weak<dyn Dispatch> = Arc::downgrade(&created) as Weak<dyn Dispatch>;
        lock(&batcher.loaders).push(weak);
        created
    }

    /// The loader itself (to read past the batches: [`super::loaders::Loaders::folding`]).
    pub fn loader(&self) -> &L {
        &self.loader
    }

    /// The value of `key` (`None` when the loader found nothing for it).
    pub async fn load_one(&self, key: K) -> Result<Option<L::Value>, L::Error> {
        if !self.batcher.driven.load(Ordering::Acquire) {
            return self.load_now(key).await;
        }
        {
            let mut state = lock(&self.state);
            match state.slots.get(&key) {
                Some(Slot::Ready(value)) => return Ok(value.clone()),
                Some(Slot::Failed(e)) => return Err(e.clone()),
                Some(Slot::Loading(_)) => {}
                None => {
                    state.slots.insert(key.clone(), Slot::Loading(Vec::new()));
                    state.pending.push(key.clone());
                    if !state.queued {
                        state.queued = true;
                        if let Some(me) = self.me.upgrade() {
                            self.batcher.enqueue(me);
                        }
                    }
                }
            }
        }
        poll_fn(|cx| {
            let mut state = lock(&self.state);
            match state.slots.get_mut(&key) {
                Some(Slot::Ready(value)) => Poll::Ready(Ok(value.clone())),
                Some(Slot::Failed(e)) => Poll::Ready(Err(e.clone())),
                Some(Slot::Loading(wakers)) => {
                    if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
                        wakers.push(cx.waker().clone());
                    }
                    Poll::Pending
                }
                // Cleared while waiting (a subscription between events): ask again.
                None => Poll::Ready(Ok(None)),
            }
        })
        .await
    }

    /// The values of many keys, in one batch, in a map with the hasher the caller keeps
    /// (a [`Map`] where it is looked up often).
    pub async fn load_many<S: std::hash::BuildHasher + Default>(
        &self,
        keys: impl IntoIterator<Item = K>,
    ) -> Result<HashMap<K, L::Value, S>, L::Error> {
        let keys: Vec<K> = keys.into_iter().collect();
        let found =
            async_graphql::futures_util::future::try_join_all(keys.iter().map(|k| async move {
                Ok::<_, L::Error>(self.load_one(k.clone()).await?.map(|v| (k.clone(), v)))
            }))
            .await?;
        Ok(found.into_iter().flatten().collect())
    }

    /// Records a value another statement of the request brought along (a row's owner,
    /// joined to the row), so asking for it costs nothing. A key already loaded keeps its
    /// value; a request waiting for it is answered now.
    pub fn prime(&self, key: K, value: L::Value) {
        let woken = {
            let mut state = lock(&self.state);
            if matches!(
                state.slots.get(&key),
                Some(Slot::Ready(_) | Slot::Failed(_))
            ) {
                return;
            }
            state.pending.retain(|k| k != &key);
            match state.slots.insert(key, Slot::Ready(Some(value))) {
                Some(Slot::Loading(wakers)) => wakers,
                _ => Vec::new(),
            }
        };
        for waker in woken {
            waker.wake();
        }
    }

    /// Outside a driver: this key alone, cached.
    async fn load_now(&self, key: K) -> Result<Option<L::Value>, L::Error> {
        if let Some(Slot::Ready(value)) = lock(&self.state).slots.get(&key) {
            return Ok(value.clone());
        }
        let mut found = self.loader.load(std::slice::from_ref(&key)).await?;
        let value = found.remove(&key);
        lock(&self.state)
            .slots
            .insert(key, Slot::Ready(value.clone()));
        Ok(value)
    }

    fn complete(&self, keys: &[K], mut found: Result<Map<K, L::Value>, L::Error>) {
        let mut woken = Vec::new();
        {
            let mut state = lock(&self.state);
            for key in keys {
                let slot = match &mut found {
                    Ok(values) => Slot::Ready(values.remove(key)),
                    Err(e) => Slot::Failed(e.clone()),
                };
                if let Some(Slot::Loading(wakers)) = state.slots.insert(key.clone(), slot) {
                    woken.extend(wakers);
                }
            }
        }
        for waker in woken {
            waker.wake();
        }
    }
}

/// The span of a batch of `keys` keys read by `loader` (its name made only when used):
/// only where spans leave the process ([`crate::telemetry::exporting`]). A log line names
/// its request by the request's own span; a span per batch kept for the logs was a share
/// of a small request's CPU.
pub fn batch_span<N: std::fmt::Display>(loader: impl FnOnce() -> N, keys: usize) -> tracing::Span {
    if crate::telemetry::exporting() {
        tracing::info_span!("dataloader.batch", loader = %loader(), keys)
    } else {
        tracing::Span::none()
    }
}

/// A loader's type name without module paths (e.g. `Cached<ById<Entity>>`), for its
/// batch spans.
fn loader_name<L>() -> String {
    let full = std::any::type_name::<L>();
    let mut out = String::with_capacity(full.len());
    let mut token = String::new();
    for c in full.chars().chain(std::iter::once(' ')) {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            token.push(c);
        } else {
            out.push_str(token.rsplit("::").next().unwrap_or(&token));
            token.clear();
            out.push(c);
        }
    }
    out.trim_end().to_string()
}

impl<K, L> Dispatch for Batched<K, L>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    L: Load<K>,
{
    fn dispatch(self: Arc<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            let keys = {
                let mut state = lock(&self.state);
                state.queued = false;
                std::mem::take(&mut state.pending)
            };
            for chunk in keys.chunks(MAX_BATCH) {
                let span = batch_span(loader_name::<L>, chunk.len());
                let result = tracing::Instrument::instrument(self.loader.load(chunk), span).await;
                self.complete(chunk, result);
            }
        })
    }

    fn clear(&self) {
        let mut state = lock(&self.state);
        state
            .slots
            .retain(|_, slot| matches!(slot, Slot::Loading(_)));
    }
}

/// Remembers whether the request was woken, and passes the wake on to the task.
#[derive(Default)]
struct Flag {
    woken: AtomicBool,
    task: Mutex<Option<Waker>>,
}

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        if let Some(task) = lock(&self.task).as_ref() {
            task.wake_by_ref();
        }
    }
}

/// Runs a request and the batches of its loaders in one task.
pub struct Driven<F> {
    inner: Pin<Box<F>>,
    batcher: Arc<Batcher>,
    running: FuturesUnordered<BoxFuture<'static, ()>>,
    flag: Arc<Flag>,
    waker: Waker,
}

impl<F> Driven<F> {
    pub fn new(inner: F, batcher: Arc<Batcher>) -> Self {
        batcher.driven.store(true, Ordering::Release);
        let flag = Arc::new(Flag::default());
        Self {
            inner: Box::pin(inner),
            batcher,
            running: FuturesUnordered::new(),
            waker: Waker::from(flag.clone()),
            flag,
        }
    }

    /// Before polling the request: remember the task, run the batches in flight.
    fn before(&mut self, cx: &mut Context<'_>) {
        {
            let mut task = lock(&self.flag.task);
            if !task.as_ref().is_some_and(|t| t.will_wake(cx.waker())) {
                *task = Some(cx.waker().clone());
            }
        }
        while let Poll::Ready(Some(())) = self.running.poll_next_unpin(cx) {}
        self.flag.woken.store(false, Ordering::Release);
    }

    /// After the request went pending: if it has settled (not woken meanwhile) and nothing is
    /// in flight, load everything it registered, together.
    fn after(&mut self, cx: &mut Context<'_>) {
        if !self.running.is_empty() || self.flag.woken.load(Ordering::Acquire) {
            return;
        }
        if !tokio::task::coop::has_budget_remaining() {
            // Tokio cut this poll short: resources answered "pending" and defer their wake
            // to after it, so the request only looks settled. Look again on the next poll.
            cx.waker().wake_by_ref();
            return;
        }
        let queued = self.batcher.take();
        if queued.is_empty() {
            return;
        }
        self.running
            .extend(queued.into_iter().map(Dispatch::dispatch));
        while let Poll::Ready(Some(())) = self.running.poll_next_unpin(cx) {}
    }
}

impl<F: Future> Future for Driven<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        this.before(cx);
        let mut inner_cx = Context::from_waker(&this.waker);
        if let Poll::Ready(out) = this.inner.as_mut().poll(&mut inner_cx) {
            return Poll::Ready(out);
        }
        this.after(cx);
        Poll::Pending
    }
}

impl<S: Stream> Stream for Driven<S> {
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let this = self.get_mut();
        this.before(cx);
        let mut inner_cx = Context::from_waker(&this.waker);
        if let Poll::Ready(item) = this.inner.as_mut().poll_next(&mut inner_cx) {
            // Each event reads fresh data.
            this.batcher.clear();
            return Poll::Ready(item);
        }
        this.after(cx);
        Poll::Pending
    }
}

#[cfg(test)]
mod tests;
