//! The process's one listening connection to PostgreSQL (`LISTEN`), shared by whoever needs
//! to hear the database: the viewer cache (`auth::cache`: its channel, and the *sync* it
//! trusts) and the live notifications (`domain::notification`: their channel, handed to the
//! in-process hub of subscriptions). Each registers a channel and what to do with a payload
//! before [`Listener::start`]; whatever must forget what it kept when the connection is
//! (re)made or lost registers [`Listener::on_reset`].
//!
//! **Sync.** [`Listener::sync`] answers once a round trip on this connection (an empty
//! query), started after the call, has answered: PostgreSQL signals every listening session
//! when a notifying transaction commits, before the writer hears of the commit, and a
//! signalled session sends its notifications before it says it is ready for the next
//! query. So when a sync answers `true`, every notification of a change committed before
//! the call has been handed on. One sync serves every call that arrived while the previous
//! one ran. While the connection is away (starting, lost) a sync answers `false` at once.
//! SQLite has no `NOTIFY`: there is no listener and a sync answers `false`.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use futures_util::future::BoxFuture;
use sea_orm::{
    DatabaseBackend,
    sqlx::postgres::{PgListener, PgQueryResult},
};
use tokio::sync::{mpsc, oneshot, watch};

use crate::lock;

/// How long a quiet listener waits before a sync of its own, so notifications never pile up
/// unread and a dead connection is noticed.
const KEEPALIVE: Duration = Duration::from_secs(1);
/// A sync that takes longer than this counts as a lost connection.
const SYNC_TIMEOUT: Duration = Duration::from_secs(5);

/// What a channel's payloads go to.
pub type OnHeard = Arc<dyn Fn(&str) + Send + Sync>;
/// What runs when the connection is made or lost (notifications meanwhile are lost).
pub type OnReset = Arc<dyn Fn() + Send + Sync>;

/// The listener; a clone shares it. Nothing on SQLite.
#[derive(Clone)]
pub struct Listener {
    shared: Option<Arc<Shared>>,
}

struct Shared {
    database_url: String,
    channels: Mutex<Vec<(&'static str, OnHeard)>>,
    resets: Mutex<Vec<OnReset>>,
    /// Connected and listening: syncs answer.
    live: watch::Sender<bool>,
    asks: mpsc::UnboundedSender<oneshot::Sender<bool>>,
    inbox: Mutex<Option<mpsc::UnboundedReceiver<oneshot::Sender<bool>>>>,
    syncs: AtomicU64,
}

impl Listener {
    /// A listener for the database at `database_url` (none on SQLite); it listens once
    /// [`start`](Self::start)ed.
    pub fn new(backend: DatabaseBackend, database_url: &str) -> Self {
        if backend != DatabaseBackend::Postgres {
            return Self { shared: None };
        }
        let (asks, inbox) = mpsc::unbounded_channel();
        Self {
            shared: Some(Arc::new(Shared {
                database_url: database_url.to_string(),
                channels: Mutex::default(),
                resets: Mutex::default(),
                live: watch::Sender::new(false),
                asks,
                inbox: Mutex::new(Some(inbox)),
                syncs: AtomicU64::new(0),
            })),
        }
    }

    /// Whether there is a listener at all (PostgreSQL).
    pub fn exists(&self) -> bool {
        self.shared.is_some()
    }

    /// Hands every payload of `channel` to `heard` (register before `start`).
    pub fn on(&self, channel: &'static str, heard: OnHeard) {
        if let Some(shared) = &self.shared {
            lock(&shared.channels).push((channel, heard));
        }
    }

    /// Runs `reset` whenever the connection is made or lost.
    pub fn on_reset(&self, reset: OnReset) {
        if let Some(shared) = &self.shared {
            lock(&shared.resets).push(reset);
        }
    }

    /// Starts listening (once; a server does, the CLI's one-off commands do not).
    pub fn start(&self) {
        let Some(shared) = &self.shared else { return };
        if let Some(inbox) = lock(&shared.inbox).take() {
            tokio::spawn(listen(shared.clone(), inbox));
        }
    }

    /// Whether every notification committed before this call has been handed on (see the
    /// module doc); `false` when the connection is away.
    pub async fn sync(&self) -> bool {
        let Some(shared) = &self.shared else {
            return false;
        };
        if !*shared.live.borrow() {
            return false;
        }
        let (reply, answer) = oneshot::channel();
        if shared.asks.send(reply).is_err() {
            return false;
        }
        answer.await.unwrap_or(false)
    }

    /// Once connected and listening (at once where there is no listener: SQLite). Until
    /// then a viewer is read afresh for every request: a process whose first requests are
    /// counted (a test of statements) waits for this.
    pub async fn live(&self) {
        if let Some(shared) = &self.shared {
            // The sender lives as long as `shared`: the wait ends only when it is live.
            let _ = shared.live.subscribe().wait_for(|live| *live).await;
        }
    }

    /// Syncs so far (each served a batch of callers).
    pub fn syncs(&self) -> u64 {
        self.shared
            .as_ref()
            .map(|s| s.syncs.load(Ordering::Relaxed))
            .unwrap_or(0)
    }
}

impl Shared {
    fn reset(&self) {
        for reset in lock(&self.resets).iter() {
            reset();
        }
    }

    fn heard(&self, channel: &str, payload: &str) {
        for (name, heard) in lock(&self.channels).iter() {
            if *name == channel {
                heard(payload);
            }
        }
    }

    /// The connection is gone: syncs answer `false`, and what was kept is forgotten.
    fn lost(&self) {
        self.live.send_replace(false);
        self.reset();
        tracing::warn!("the database listener lost its connection");
    }
}

/// Connects, listens, and answers syncs in batches; on any failure, resets and connects
/// again.
async fn listen(shared: Arc<Shared>, mut inbox: mpsc::UnboundedReceiver<oneshot::Sender<bool>>) {
    loop {
        match PgListener::connect(&shared.database_url).await {
            Ok(mut listener) => match listen_on(&shared, &mut listener).await {
                Ok(()) => {
                    shared.reset();
                    shared.live.send_replace(true);
                    serve(&shared, &mut listener, &mut inbox).await;
                }
                Err(e) => tracing::warn!(error = %e, "database listener: cannot LISTEN"),
            },
            Err(e) => tracing::warn!(error = %e, "database listener: cannot connect"),
        }
        shared.live.send_replace(false);
        shared.reset();
        // Before connecting again: callers that still asked for a sync hear `false`.
        let pause = tokio::time::sleep(Duration::from_secs(1));
        tokio::pin!(pause);
        loop {
            tokio::select! {
                _ = &mut pause => break,
                waiting = inbox.recv() => match waiting {
                    Some(reply) => { let _ = reply.send(false); }
                    None => return,
                },
            }
        }
    }
}

/// Listens on every registered channel, on this connection only: a lost connection ends
/// [`serve`] (and resets) instead of being replaced behind its back.
async fn listen_on(shared: &Shared, listener: &mut PgListener) -> Result<(), sea_orm::sqlx::Error> {
    listener.eager_reconnect(false);
    let channels: Vec<&'static str> = lock(&shared.channels).iter().map(|(c, _)| *c).collect();
    listener.listen_all(channels).await
}

/// Answers syncs, and hands on what is heard between them, until the connection fails.
async fn serve(
    shared: &Shared,
    listener: &mut PgListener,
    inbox: &mut mpsc::UnboundedReceiver<oneshot::Sender<bool>>,
) {
    let mut batch = Vec::new();
    loop {
        // Under load callers asked while the last sync ran: this one starts at once. Only
        // a listener nobody waits for waits (for a caller, a notification or its keepalive):
        // the futures of that wait, sqlx's receive the largest, are made only then (moving
        // them was 8% of a small request's instructions with a sync of its own:
        // bench/ANALYSIS.md).
        if inbox.is_empty() {
            tokio::select! {
                waiting = inbox.recv() => match waiting {
                    Some(reply) => batch.push(reply),
                    None => return,
                },
                // Cancel-safe: sqlx reads a message off the socket only once it is whole.
                heard = listener.try_recv() => match heard {
                    Ok(Some(n)) => {
                        shared.heard(n.channel(), n.payload());
                        continue;
                    }
                    // The connection is gone (or broken).
                    Ok(None) | Err(_) => {
                        shared.lost();
                        return;
                    }
                },
                _ = tokio::time::sleep(KEEPALIVE) => {}
            }
        }
        // Everyone who asked before this sync starts is served by it.
        while let Ok(reply) = inbox.try_recv() {
            batch.push(reply);
        }
        let synced = tokio::time::timeout(SYNC_TIMEOUT, round_trip(listener)).await;
        let ok = matches!(synced, Ok(Ok(_)));
        shared.syncs.fetch_add(1, Ordering::Relaxed);
        if ok {
            while let Some(heard) = listener.next_buffered() {
                shared.heard(heard.channel(), heard.payload());
            }
        } else {
            shared.lost();
        }
        for reply in batch.drain(..) {
            let _ = reply.send(ok);
        }
        if !ok {
            return;
        }
    }
}

/// One round trip on the listener's connection: an empty query in the simple protocol, which
/// PostgreSQL answers with no statement to parse, plan or run (and, as before any answer,
/// after sending what it was notified of). Boxed where it is made: the timeout around it
/// moves a pointer, not sqlx's query state (several KiB).
fn round_trip(
    listener: &mut PgListener,
) -> BoxFuture<'_, Result<PgQueryResult, sea_orm::sqlx::Error>> {
    Box::pin(sea_orm::sqlx::raw_sql("").execute(listener))
}
