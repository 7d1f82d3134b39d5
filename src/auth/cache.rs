//! The viewer without a statement per request, on PostgreSQL.
//!
//! Every request needs its viewer: the subject's row and the switches the policy reads
//! ([`load_viewer`]). A replica keeps the viewers it has read. Triggers on the tables they
//! are read from (`accounts`, `staff_users`, `portal_settings`, `partner_portal_settings`;
//! migration `m20261201_000007_viewer_notify`) send `NOTIFY portal_viewer` on every change,
//! whoever writes it: this server, another replica, the CLI or a DBA's `psql`.
//!
//! **A change committed before a request arrives is honoured by that request, on every
//! replica.** A request does not trust the cache until a *sync* on the replica's listening
//! connection, started after the request arrived, has answered. PostgreSQL signals every
//! listening session when a notifying transaction commits, before the writer is told of the
//! commit, and a signalled session sends its notifications before it answers its next
//! statement; so when the sync answers, the notifications of every change committed before
//! the request arrived have been read and applied. One sync serves every request that
//! arrived while the previous one ran: under load it is one trivial statement per batch of
//! requests, on a connection of its own, instead of the viewer's statement per request on
//! the pool.
//!
//! While the listener is not connected (starting, lost), requests read the viewer from the
//! database; the cache is emptied whenever the listener (re)connects, since notifications
//! sent while it was away are lost. SQLite has no `NOTIFY` and no network round trip to
//! save: there the viewer is read on every request.
//!
//! The listener is the process's one listening connection: it also carries the live
//! notifications' channel ([`notification::CHANNEL`]) to the in-process hub of
//! subscriptions, with or without a cache (`PORTAL_VIEWER_CACHE=0` keeps no viewers).

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use sea_orm::{DatabaseBackend, DatabaseConnection, sqlx::postgres::PgListener};
use tokio::sync::{mpsc, oneshot};

use super::{Subject, Viewer, load_viewer};
use crate::{domain::notification, error::AppResult};

/// The channel the triggers notify. A payload is a subject as tokens write it
/// (`account:42`, `staff:1`) or `*` (a setting every viewer reads changed).
pub const CHANNEL: &str = "portal_viewer";

/// How long a quiet listener waits before a sync of its own, so notifications never pile up
/// unread and a dead connection is noticed.
const KEEPALIVE: Duration = Duration::from_secs(1);
/// A sync that takes longer than this counts as a lost connection.
const SYNC_TIMEOUT: Duration = Duration::from_secs(5);

/// Viewers kept by this process; a clone shares them.
#[derive(Clone)]
pub struct ViewerCache {
    shared: Option<Arc<Shared>>,
}

struct Shared {
    database_url: String,
    capacity: usize,
    entries: Mutex<Entries>,
    /// The listener is connected and listening: syncs answer.
    live: AtomicBool,
    asks: mpsc::UnboundedSender<oneshot::Sender<bool>>,
    inbox: Mutex<Option<mpsc::UnboundedReceiver<oneshot::Sender<bool>>>>,
    hits: AtomicU64,
    misses: AtomicU64,
    syncs: AtomicU64,
}

#[derive(Default)]
struct Entries {
    viewers: HashMap<Subject, Viewer>,
    /// The kept sub-accounts of each main account: their viewers carry the main's
    /// management switch, so a change to the main forgets them too.
    subs: HashMap<i64, HashSet<Subject>>,
    /// Bumped by every change applied: a viewer read from the database is kept only if no
    /// change arrived since the request looked (it may have read the row before the change).
    epoch: u64,
}

impl Entries {
    fn main_of(viewer: &Viewer) -> Option<i64> {
        viewer.account().and_then(|a| a.main_account_id)
    }

    fn insert(&mut self, subject: Subject, viewer: Viewer) {
        self.remove(subject);
        if let Some(main) = Self::main_of(&viewer) {
            self.subs.entry(main).or_default().insert(subject);
        }
        self.viewers.insert(subject, viewer);
    }

    /// Forgets `subject`, and drops it from its main's sub-accounts.
    fn remove(&mut self, subject: Subject) {
        let Some(main) = self
            .viewers
            .remove(&subject)
            .as_ref()
            .and_then(Self::main_of)
        else {
            return;
        };
        if let Some(subs) = self.subs.get_mut(&main) {
            subs.remove(&subject);
            if subs.is_empty() {
                self.subs.remove(&main);
            }
        }
    }

    fn clear(&mut self) {
        self.epoch += 1;
        self.viewers.clear();
        self.subs.clear();
    }
}

/// How many requests found their viewer kept, how many read it, and how many syncs served
/// them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheCounts {
    pub hits: u64,
    pub misses: u64,
    pub syncs: u64,
}

impl CacheCounts {
    /// The counts in the Prometheus text format, for `/metrics`.
    pub fn render(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        for (name, help, value) in [
            ("hits", "Requests whose viewer was kept.", self.hits),
            (
                "misses",
                "Requests whose viewer was read and kept.",
                self.misses,
            ),
            (
                "syncs",
                "Syncs of the viewer listener (each serves a batch of requests).",
                self.syncs,
            ),
        ] {
            let _ = writeln!(out, "# HELP portal_viewer_cache_{name}_total {help}");
            let _ = writeln!(out, "# TYPE portal_viewer_cache_{name}_total counter");
            let _ = writeln!(out, "portal_viewer_cache_{name}_total {value}");
        }
        out
    }
}

impl ViewerCache {
    /// A cache of at most `capacity` viewers (0 keeps none) for the database at
    /// `database_url`; nothing on SQLite. It is used once [`start`](Self::start)ed.
    pub fn new(backend: DatabaseBackend, database_url: &str, capacity: usize) -> Self {
        if backend != DatabaseBackend::Postgres {
            return Self { shared: None };
        }
        let (asks, inbox) = mpsc::unbounded_channel();
        Self {
            shared: Some(Arc::new(Shared {
                database_url: database_url.to_string(),
                capacity,
                entries: Mutex::default(),
                live: AtomicBool::new(false),
                asks,
                inbox: Mutex::new(Some(inbox)),
                hits: AtomicU64::new(0),
                misses: AtomicU64::new(0),
                syncs: AtomicU64::new(0),
            })),
        }
    }

    /// Starts the listener (once; a server does, the CLI's one-off commands do not): the
    /// viewers' changes and the live notifications.
    pub fn start(&self) {
        let Some(shared) = &self.shared else { return };
        let inbox = shared
            .inbox
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(inbox) = inbox {
            tokio::spawn(listen(shared.clone(), inbox));
        }
    }

    /// The viewer of a verified token's subject, as of this moment: kept, or read (and
    /// kept).
    pub async fn viewer(&self, db: &DatabaseConnection, subject: Subject) -> AppResult<Viewer> {
        let Some(shared) = self.shared.as_ref().filter(|s| s.capacity > 0) else {
            return load_viewer(db, subject).await;
        };
        let Some(epoch) = shared.current(subject).await else {
            return load_viewer(db, subject).await;
        };
        let epoch = match epoch {
            Ok(viewer) => return Ok(viewer),
            Err(epoch) => epoch,
        };
        let viewer = load_viewer(db, subject).await?;
        shared.keep(epoch, subject, &viewer);
        Ok(viewer)
    }

    pub fn counts(&self) -> CacheCounts {
        self.shared
            .as_ref()
            .map(|s| CacheCounts {
                hits: s.hits.load(Ordering::Relaxed),
                misses: s.misses.load(Ordering::Relaxed),
                syncs: s.syncs.load(Ordering::Relaxed),
            })
            .unwrap_or_default()
    }
}

impl Shared {
    fn entries(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// After a sync: the kept viewer (`Ok`), or the epoch to keep a freshly read one under
    /// (`Err`). `None` when the cache cannot be trusted now (the listener is away).
    async fn current(&self, subject: Subject) -> Option<Result<Viewer, u64>> {
        if !self.live.load(Ordering::Acquire) {
            return None;
        }
        let (reply, answer) = oneshot::channel();
        self.asks.send(reply).ok()?;
        if !answer.await.unwrap_or(false) {
            return None;
        }
        let entries = self.entries();
        Some(match entries.viewers.get(&subject) {
            Some(viewer) => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                Ok(viewer.clone())
            }
            None => {
                self.misses.fetch_add(1, Ordering::Relaxed);
                Err(entries.epoch)
            }
        })
    }

    fn keep(&self, epoch: u64, subject: Subject, viewer: &Viewer) {
        let mut entries = self.entries();
        if entries.epoch != epoch {
            return;
        }
        if entries.viewers.len() >= self.capacity
            && let Some(any) = entries.viewers.keys().next().copied()
        {
            entries.remove(any);
        }
        entries.insert(subject, viewer.clone());
    }

    /// Applies one notification: the subject named, and for an account the sub-accounts
    /// whose viewers carry its management switch; `*` (or anything unknown) empties all.
    fn apply(&self, payload: &str) {
        let mut entries = self.entries();
        match Subject::parse(payload) {
            Some(subject) => {
                entries.epoch += 1;
                entries.remove(subject);
                if let Subject::Account(id) = subject {
                    for sub in entries.subs.remove(&id).unwrap_or_default() {
                        entries.remove(sub);
                    }
                }
            }
            None => entries.clear(),
        }
    }

    fn forget_all(&self) {
        self.entries().clear();
    }

    /// The listening connection is gone: the cache is not trusted (requests read the
    /// database) and what it kept is forgotten, since notifications sent meanwhile are lost.
    fn lost(&self) {
        self.live.store(false, Ordering::Release);
        self.forget_all();
        tracing::warn!("viewer cache: its listener lost the database");
    }

    /// One notification heard on the listening connection, by its channel.
    fn heard(&self, channel: &str, payload: &str) {
        if channel == notification::CHANNEL {
            notification::heard(payload);
        } else {
            self.apply(payload);
        }
    }
}

/// The listener: connects, listens, and answers syncs in batches; on any failure the cache
/// is distrusted and emptied, and it connects again.
async fn listen(shared: Arc<Shared>, mut inbox: mpsc::UnboundedReceiver<oneshot::Sender<bool>>) {
    loop {
        match PgListener::connect(&shared.database_url).await {
            Ok(mut listener) => match listen_on(&mut listener).await {
                Ok(()) => {
                    shared.forget_all();
                    shared.live.store(true, Ordering::Release);
                    serve(&shared, &mut listener, &mut inbox).await;
                }
                Err(e) => tracing::warn!(error = %e, "viewer cache: cannot LISTEN"),
            },
            Err(e) => tracing::warn!(error = %e, "viewer cache: cannot connect its listener"),
        }
        shared.live.store(false, Ordering::Release);
        shared.forget_all();
        // Before connecting again: requests that still asked for a sync read the database.
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

/// Listens on both channels, on this connection only: a lost connection ends
/// [`serve`] (and empties the cache) instead of being replaced behind its back.
async fn listen_on(listener: &mut PgListener) -> Result<(), sea_orm::sqlx::Error> {
    listener.eager_reconnect(false);
    listener.listen_all([CHANNEL, notification::CHANNEL]).await
}

/// Answers syncs, and passes on what is heard between them, until the connection fails.
async fn serve(
    shared: &Shared,
    listener: &mut PgListener,
    inbox: &mut mpsc::UnboundedReceiver<oneshot::Sender<bool>>,
) {
    let mut batch = Vec::new();
    loop {
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
        // Everyone who asked before this sync starts is served by it.
        while let Ok(reply) = inbox.try_recv() {
            batch.push(reply);
        }
        let synced = tokio::time::timeout(
            SYNC_TIMEOUT,
            sea_orm::sqlx::query("SELECT 1").execute(&mut *listener),
        )
        .await;
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
