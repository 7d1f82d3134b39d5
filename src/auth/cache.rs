//! The viewer without a statement per request, on PostgreSQL.
//!
//! Every request needs its viewer: the subject's row and the switches the policy reads
//! ([`load_viewer`]). A replica keeps the viewers it has read. Triggers on the tables they
//! are read from (`accounts`, `staff_users`, `portal_settings`, `partner_portal_settings`;
//! migration `m20261201_000007_viewer_notify`) send `NOTIFY portal_viewer` on every change,
//! whoever writes it: this server, another replica, the CLI or a DBA's `psql`; the
//! process's listener (`crate::listen`) hands them here.
//!
//! **A change committed before a request arrives is honoured by that request, on every
//! replica.** A request does not trust the cache until a *sync* of the listener
//! ([`Listener::sync`]), started after the request arrived, has answered: by then every
//! change committed before has been applied here. One sync serves every request that
//! arrived while the previous one ran: under load it is one empty round trip per batch of
//! requests, on a connection of its own, instead of the viewer's statement per request on
//! the pool.
//!
//! While the listener is not connected (starting, lost), requests read the viewer from the
//! database; the cache is emptied whenever the listener (re)connects or is lost, since
//! notifications sent while it was away are lost. SQLite has no `NOTIFY` and no network
//! round trip to save: there the viewer is read on every request.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use sea_orm::DatabaseConnection;

use super::{Subject, Viewer, load_viewer};
use crate::{error::AppResult, listen::Listener};

/// The channel the triggers notify. A payload is a subject as tokens write it
/// (`account:42`, `staff:1`) or `*` (a setting every viewer reads changed).
pub const CHANNEL: &str = "portal_viewer";

/// Viewers kept by this process; a clone shares them.
#[derive(Clone)]
pub struct ViewerCache {
    shared: Option<Arc<Shared>>,
}

struct Shared {
    capacity: usize,
    entries: Mutex<Entries>,
    listener: Listener,
    hits: AtomicU64,
    misses: AtomicU64,
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
    /// A cache of at most `capacity` viewers (0 keeps none), kept current by `listener`'s
    /// notifications; nothing on SQLite (no listener).
    pub fn new(listener: &Listener, capacity: usize) -> Self {
        if !listener.exists() {
            return Self { shared: None };
        }
        let shared = Arc::new(Shared {
            capacity,
            entries: Mutex::default(),
            listener: listener.clone(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        });
        let heard = Arc::downgrade(&shared);
        listener.on(
            CHANNEL,
            Arc::new(move |payload: &str| {
                if let Some(shared) = heard.upgrade() {
                    shared.apply(payload);
                }
            }),
        );
        let reset = Arc::downgrade(&shared);
        listener.on_reset(Arc::new(move || {
            if let Some(shared) = reset.upgrade() {
                shared.forget_all();
            }
        }));
        Self {
            shared: Some(shared),
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
                syncs: s.listener.syncs(),
            })
            .unwrap_or_default()
    }
}

impl Shared {
    fn entries(&self) -> std::sync::MutexGuard<'_, Entries> {
        crate::lock(&self.entries)
    }

    /// After a sync: the kept viewer (`Ok`), or the epoch to keep a freshly read one under
    /// (`Err`). `None` when the cache cannot be trusted now (the listener is away).
    async fn current(&self, subject: Subject) -> Option<Result<Viewer, u64>> {
        if !self.listener.sync().await {
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
}
