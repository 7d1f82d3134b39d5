//! `Subscription.notificationAdded`: the viewer's new notifications, live, over
//! `graphql-transport-ws` at `/graphql/ws`. Hints come from the notification hub (fed by
//! PostgreSQL `NOTIFY` across replicas, or in-process on SQLite); each hint, and a re-check
//! every two seconds, reads what is new from the database, so nothing committed is missed.
//! The access token's expiry is re-checked while the subscription lives.

use std::{collections::VecDeque, time::Duration};

use async_graphql::{Context, ErrorExtensions, Subscription, futures_util::Stream};
use sea_orm::DatabaseConnection;
use tokio::sync::broadcast::{Receiver, error::RecvError};

use entity::notification as row;

use super::notification::Notification;
use crate::{
    domain::notification,
    error::{AppError, ResultExt},
};

/// When the operation's access token expires (unix seconds; none for anonymous callers).
#[derive(Debug, Clone, Copy)]
pub struct TokenExpiry(pub Option<i64>);

/// How often a live subscription re-checks without a hint.
const RECHECK: Duration = Duration::from_secs(2);

struct Live {
    db: DatabaseConnection,
    hints: Receiver<i64>,
    viewer: crate::auth::Viewer,
    account: i64,
    last_id: i64,
    expires: Option<i64>,
    pending: VecDeque<row::Model>,
    done: bool,
}

impl Live {
    async fn next(mut self) -> Option<(async_graphql::Result<Notification>, Live)> {
        loop {
            if self.done {
                return None;
            }
            if self
                .expires
                .is_some_and(|at| chrono::Utc::now().timestamp() > at)
            {
                self.done = true;
                return Some((
                    Err(AppError::Unauthenticated("the access token expired").extend()),
                    self,
                ));
            }
            if let Some(next) = self.pending.pop_front() {
                return Some((Ok(Notification(next)), self));
            }
            tokio::select! {
                hint = self.hints.recv() => match hint {
                    Ok(account) if account != self.account => continue,
                    Err(RecvError::Closed) => {
                        self.done = true;
                        continue;
                    }
                    // Ours, or we lagged behind: look.
                    _ => {}
                },
                _ = tokio::time::sleep(RECHECK) => {}
            }
            match notification::newer_than(&self.db, &self.viewer, self.last_id).await {
                Ok(rows) => {
                    if let Some(last) = rows.last() {
                        self.last_id = last.id;
                    }
                    self.pending.extend(rows);
                }
                Err(e) => return Some((Err(e.extend()), self)),
            }
        }
    }
}

/// All subscriptions.
#[derive(Default)]
pub struct SubscriptionRoot;

/// Live events over `graphql-transport-ws` at `/graphql/ws`.
#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// The viewer's new portal notifications, as they are created (customers only).
    async fn notification_added(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Notification>> + use<>>
    {
        let viewer = super::viewer(ctx)?;
        let account = viewer
            .account()
            .map(|a| a.id)
            .ok_or(AppError::Forbidden)
            .gql()?;
        let db = super::db(ctx)?.clone();
        let hints = notification::hub().subscribe();
        let last_id = notification::latest_id(&db, account).await.gql()?;
        let live = Live {
            db,
            hints,
            viewer: viewer.clone(),
            account,
            last_id,
            expires: ctx.data_opt::<TokenExpiry>().and_then(|e| e.0),
            pending: VecDeque::new(),
            done: false,
        };
        Ok(async_graphql::futures_util::stream::unfold(
            live,
            Live::next,
        ))
    }
}
