//! Bulk actions (SPEC.md "Controls"): pause or resume up to 100 services, or open a ticket
//! for up to 100 accounts, in one request. Each item goes through the same domain function
//! as its single mutation (its own authorization and transaction), so a partial success is
//! reported item by item, never rolled back. With an idempotency key the results are kept,
//! and a retry with the same key answers them again without acting twice.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use entity::{bulk_request, enums::TicketPriority};

use crate::{
    auth::Viewer,
    error::{AppError, AppResult, UserError, UserErrorCode, is_unique_violation},
};

/// The most items one bulk request holds.
pub const MAX_ITEMS: usize = super::validate::MAX_LIST;

/// A claim on a key older than this without results was left by a request that died: the
/// next request with the key runs the action again (each item refuses a repeat by itself).
const ABANDONED_AFTER_SECONDS: i64 = 10 * 60;

/// What to do with every item.
#[derive(Debug, Clone)]
pub enum BulkAction {
    PauseServices,
    ResumeServices,
    OpenTickets {
        subject: String,
        message: String,
        priority: TicketPriority,
    },
}

impl BulkAction {
    fn fingerprint(&self, items: &[Item]) -> String {
        let what = match self {
            BulkAction::PauseServices => "pause".to_string(),
            BulkAction::ResumeServices => "resume".to_string(),
            BulkAction::OpenTickets {
                subject,
                message,
                priority,
            } => format!("tickets\u{0}{subject}\u{0}{message}\u{0}{priority:?}"),
        };
        let mut hash = Sha256::new();
        hash.update(what.as_bytes());
        for item in items {
            hash.update(b"\0");
            hash.update(item.given.as_bytes());
        }
        hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// One item as the client named it, and its primary key when the name decodes.
#[derive(Debug, Clone)]
pub struct Item {
    pub given: String,
    pub id: Option<i64>,
}

/// What happened to one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemResult {
    /// The item as the client named it.
    pub id: String,
    /// Why it was not done: the error's code (`NOT_FOUND`, `FORBIDDEN`) or the business
    /// refusal's (`INVALID_STATE`); `None` when it was done.
    pub code: Option<String>,
    pub message: Option<String>,
    /// For `FORBIDDEN`: the permission that was missing, as `Account.capabilities` names it.
    pub permission: Option<String>,
    /// The object made or changed (the service, the new ticket), by primary key.
    pub object: Option<i64>,
}

/// The results of a bulk request.
#[derive(Debug, Clone)]
pub struct Bulk {
    pub items: Vec<ItemResult>,
    /// An earlier request with the same key did this; nothing was done now.
    pub replayed: bool,
}

/// Runs `action` on every item (duplicates once), each on its own.
pub async fn run(
    db: &DatabaseConnection,
    viewer: &Viewer,
    action: BulkAction,
    items: Vec<Item>,
    idempotency_key: Option<&str>,
) -> AppResult<Bulk> {
    let mut checks = super::validate::Checks::default();
    let field = match action {
        BulkAction::OpenTickets { .. } => "accountIds",
        _ => "serviceIds",
    };
    checks.require(
        (1..=MAX_ITEMS).contains(&items.len()),
        field,
        format!("between 1 and {MAX_ITEMS} items"),
    );
    if let Some(key) = idempotency_key {
        checks.text("idempotencyKey", key, 1, 100);
    }
    if let BulkAction::OpenTickets {
        subject, message, ..
    } = &action
    {
        checks.text("subject", subject, 1, super::ticket::MAX_SUBJECT);
        checks.text("message", message, 1, super::ticket::MAX_MESSAGE);
    }
    checks.finish()?;
    let mut unique: Vec<Item> = Vec::with_capacity(items.len());
    for item in items {
        if !unique.iter().any(|u| u.given == item.given) {
            unique.push(item);
        }
    }
    let claim = match idempotency_key {
        Some(key) => match claim(db, viewer, key, &action.fingerprint(&unique)).await? {
            Claim::Done(items) => {
                return Ok(Bulk {
                    items,
                    replayed: true,
                });
            }
            Claim::Mine(row) => Some(row),
        },
        None => None,
    };
    let mut results = Vec::with_capacity(unique.len());
    for item in &unique {
        let done = match item.id {
            None => Err(AppError::NotFound),
            Some(id) => one(db, viewer, &action, id).await,
        };
        results.push(result_of(&item.given, done));
    }
    if let Some(row) = claim {
        let stored = serde_json::to_string(&results).map_err(|e| AppError::Internal(e.into()))?;
        let mut active: bulk_request::ActiveModel = row.into();
        active.results = Set(Some(stored));
        active.update(db).await?;
    }
    Ok(Bulk {
        items: results,
        replayed: false,
    })
}

async fn one(
    db: &DatabaseConnection,
    viewer: &Viewer,
    action: &BulkAction,
    id: i64,
) -> AppResult<i64> {
    Ok(match action {
        BulkAction::PauseServices => super::service::pause(db, viewer, id).await?.id,
        BulkAction::ResumeServices => super::service::resume(db, viewer, id).await?.id,
        BulkAction::OpenTickets {
            subject,
            message,
            priority,
        } => {
            super::ticket::create(db, viewer, Some(id), subject, message, *priority, false)
                .await?
                .id
        }
    })
}

fn result_of(given: &str, done: AppResult<i64>) -> ItemResult {
    let permission = match &done {
        Err(AppError::Denied(action)) => Some(action.name().to_string()),
        _ => None,
    };
    let (code, message, object) = match done {
        Ok(object) => (None, None, Some(object)),
        Err(AppError::User(errors)) => {
            let first = errors.into_iter().next();
            (
                Some(
                    first
                        .as_ref()
                        .map_or(UserErrorCode::InvalidInput, |e| e.code)
                        .as_str()
                        .to_string(),
                ),
                first.map(|e| e.message),
                None,
            )
        }
        Err(e) => {
            if matches!(e, AppError::Db(_) | AppError::Internal(_)) {
                tracing::error!(error = ?e, item = given, "a bulk item failed");
            }
            (Some(e.code().to_string()), Some(e.to_string()), None)
        }
    };
    ItemResult {
        id: given.to_string(),
        code,
        message,
        permission,
        object,
    }
}

enum Claim {
    /// This request holds the key: it runs the action and stores the results.
    Mine(bulk_request::Model),
    /// An earlier request with the key finished: its results.
    Done(Vec<ItemResult>),
}

/// Takes the key for this request, or finds what an earlier request with it did.
async fn claim(
    db: &DatabaseConnection,
    viewer: &Viewer,
    key: &str,
    fingerprint: &str,
) -> AppResult<Claim> {
    let subject = viewer.subject_key()?;
    let now = super::now();
    let inserted = bulk_request::ActiveModel {
        subject: Set(subject.clone()),
        idempotency_key: Set(key.to_string()),
        fingerprint: Set(fingerprint.to_string()),
        results: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await;
    match inserted {
        Ok(row) => return Ok(Claim::Mine(row)),
        Err(e) if is_unique_violation(&e) => {}
        Err(e) => return Err(e.into()),
    }
    let earlier = bulk_request::Entity::find()
        .filter(bulk_request::Column::Subject.eq(subject.as_str()))
        .filter(bulk_request::Column::IdempotencyKey.eq(key))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let refused = |message: &str| {
        AppError::user(UserError::new(UserErrorCode::Duplicate, message).at("idempotencyKey"))
    };
    let running = || refused("a request with this key is running; retry in a moment");
    if earlier.fingerprint != fingerprint {
        return Err(refused(
            "this idempotency key was used for another bulk request",
        ));
    }
    match &earlier.results {
        Some(stored) => Ok(Claim::Done(
            serde_json::from_str(stored).map_err(|e| AppError::Internal(e.into()))?,
        )),
        None if abandoned(earlier.created_at, now) => {
            // Taken over only by the request that moves the claim's time (one of many).
            let taken = bulk_request::Entity::update_many()
                .col_expr(
                    bulk_request::Column::CreatedAt,
                    sea_orm::sea_query::Expr::value(now),
                )
                .filter(bulk_request::Column::Id.eq(earlier.id))
                .filter(bulk_request::Column::CreatedAt.eq(earlier.created_at))
                .exec(db)
                .await?;
            if taken.rows_affected == 1 {
                Ok(Claim::Mine(earlier))
            } else {
                Err(running())
            }
        }
        None => Err(running()),
    }
}

fn abandoned(claimed: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    (now - claimed).num_seconds() > ABANDONED_AFTER_SECONDS
}
