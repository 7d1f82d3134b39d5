//! The audit trail read back: a main account's activity feed across the accounts whose
//! history it may read (its own and the sub-accounts the policy lets it see in detail), with
//! filters, and its CSV export through a signed, expiring link.
//!
//! Which entries a viewer may read is the policy's activity scope (its SQL half, so a page
//! and its count agree); what an entry shows (the actor, its facts, where the request came
//! from) is rendered by `activity::shown`, the same code for the GraphQL entry and the CSV
//! row.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Select};
use serde::{Deserialize, Serialize};

use entity::{account, activity as entry};

use crate::domain::{
    activity,
    record::{Reader, Ref, Rows, Wanted},
};
use crate::{
    auth::Viewer,
    db::page::{self, Page, PageRequest, Sort},
    error::{AppError, AppResult},
    policy::{self, Action, Target},
};

/// How long an export link is valid.
pub const EXPORT_TTL_SECONDS: i64 = 10 * 60;

/// The most rows one export holds (newest first); narrow the filter for more.
pub const EXPORT_MAX_ROWS: u64 = 10_000;

/// What a feed shows. Empty lists mean no restriction.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedFilter {
    /// Only these accounts' histories (each must be readable).
    pub accounts: Vec<i64>,
    /// Only these actions (e.g. `service.paused`).
    pub actions: Vec<String>,
    /// From this instant (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Until this instant (exclusive).
    pub until: Option<DateTime<Utc>>,
}

/// Checks the accounts a filter lists: one the viewer may not see is `NOT_FOUND`; one it
/// sees without the right to read its history is `FORBIDDEN`.
pub async fn check_listed<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    listed: &[i64],
) -> AppResult<()> {
    if listed.is_empty() {
        return Ok(());
    }
    let found = account::Entity::find()
        .filter(crate::db::among::column_among(
            account::Column::Id,
            listed.iter().copied(),
        ))
        .all(db)
        .await?;
    let by_id: HashMap<i64, &account::Model> = found.iter().map(|a| (a.id, a)).collect();
    for id in listed {
        let a = by_id.get(id).ok_or(AppError::NotFound)?;
        policy::authorize(viewer, Action::See, Target::ActivityOf(a))?;
    }
    Ok(())
}

/// The entries under `filter` the viewer may read: the policy's activity scope (histories
/// it may read, about objects it may see), narrowed by the filter.
fn select(viewer: &Viewer, filter: &FeedFilter) -> Select<entry::Entity> {
    let mut q = entry::Entity::find().filter(policy::scope::activity(viewer));
    if !filter.accounts.is_empty() {
        q = q.filter(crate::db::among::column_among(
            entry::Column::AccountId,
            filter.accounts.iter().copied(),
        ));
    }
    if !filter.actions.is_empty() {
        q = q.filter(entry::Column::Action.is_in(filter.actions.iter().cloned()));
    }
    if let Some(from) = filter.from {
        q = q.filter(entry::Column::CreatedAt.gte(from));
    }
    if let Some(until) = filter.until {
        q = q.filter(entry::Column::CreatedAt.lt(until));
    }
    q
}

/// One page of the feed, newest first, and (when `count`) how many entries match.
pub async fn feed<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    filter: &FeedFilter,
    req: &PageRequest,
    count: bool,
) -> AppResult<(Page<entry::Model>, i64)> {
    if matches!(viewer, Viewer::Anonymous) {
        return Err(AppError::Unauthenticated("authentication required"));
    }
    check_listed(db, viewer, &filter.accounts).await?;
    let q = select(viewer, filter);
    let total = if count {
        use sea_orm::PaginatorTrait;
        q.clone().count(db).await? as i64
    } else {
        0
    };
    let sort = Sort::by_id((entry::Entity, entry::Column::Id), true);
    Ok((page::fetch(db, q, &sort, req, |_| None).await?, total))
}

/// The link to download the feed under `filter` as CSV: signed for this viewer and
/// filter, valid for [`EXPORT_TTL_SECONDS`]. The filter is checked now (a listed account
/// the viewer may not read is refused here) and again when the link is used.
pub async fn export_link<C: ConnectionTrait>(
    db: &C,
    key: &[u8],
    viewer: &Viewer,
    filter: &FeedFilter,
    now: DateTime<Utc>,
) -> AppResult<(String, DateTime<Utc>)> {
    check_listed(db, viewer, &filter.accounts).await?;
    let subject = viewer.subject_key()?;
    let encoded = encode(filter)?;
    let expires = now.timestamp() + EXPORT_TTL_SECONDS;
    let sig = crate::domain::signed::sign(key, &grants(&subject, &encoded), expires)?;
    let at = DateTime::from_timestamp(expires, 0).unwrap_or(now);
    Ok((
        format!(
            "/exports/activity.csv?subject={subject}&filter={encoded}&expires={expires}&sig={sig}"
        ),
        at,
    ))
}

/// What a valid export link grants: the subject it was made for and its filter.
pub fn verify_export(
    key: &[u8],
    subject: &str,
    filter: &str,
    expires: i64,
    sig: &str,
    now: DateTime<Utc>,
) -> Option<FeedFilter> {
    if !crate::domain::signed::verify(key, &grants(subject, filter), expires, sig, now) {
        return None;
    }
    decode(filter)
}

fn grants(subject: &str, filter: &str) -> String {
    format!("activity-export:{subject}:{filter}")
}

fn encode(filter: &FeedFilter) -> AppResult<String> {
    use base64::Engine;
    let json = serde_json::to_vec(filter).map_err(|e| AppError::Internal(e.into()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json))
}

fn decode(filter: &str) -> Option<FeedFilter> {
    use base64::Engine;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(filter)
        .ok()?;
    serde_json::from_slice(&json).ok()
}

/// The feed under `filter` as CSV (newest first, at most [`EXPORT_MAX_ROWS`] rows), as
/// `viewer` may read it now.
pub async fn export_csv<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    filter: &FeedFilter,
) -> AppResult<String> {
    let (page, _) = feed(
        db,
        viewer,
        filter,
        &PageRequest::first(EXPORT_MAX_ROWS),
        false,
    )
    .await?;
    let entries: Vec<entry::Model> = page.items.into_iter().map(|(_, e)| e).collect();
    // The rows every entry names, once: each row is rendered through the same code as the
    // GraphQL entry.
    let wanted: Wanted = entries.iter().flat_map(activity::refs_of).collect();
    let rows = Rows::load(db, &wanted).await?;
    let reader = Reader::new(viewer, &rows);
    let login = |id: Option<i64>| {
        id.filter(|id| reader.sees(Ref::Account(*id)))
            .and_then(|id| rows.accounts.get(&id))
            .map(|a| a.login.clone())
            .unwrap_or_default()
    };
    let mut out = String::from(
        "at,account,action,actor,actor_kind,on_behalf_of,client_address,user_agent,before,after\r\n",
    );
    for e in &entries {
        let shown = activity::shown(&reader, e);
        let origin = activity::origin_visible(viewer, e);
        let json = |v: Option<&serde_json::Value>| v.map(|v| v.to_string()).unwrap_or_default();
        let fields = [
            e.created_at.to_rfc3339(),
            login(Some(e.account_id)),
            e.action.clone(),
            shown.actor.clone(),
            e.actor_kind
                .map(|k| k.as_str().to_string())
                .unwrap_or_default(),
            login(e.on_behalf_of_id),
            origin
                .then(|| e.client_address.clone())
                .flatten()
                .unwrap_or_default(),
            origin
                .then(|| e.user_agent.clone())
                .flatten()
                .unwrap_or_default(),
            json(shown.before()),
            json(shown.after()),
        ];
        let row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    Ok(out)
}

/// One CSV field (RFC 4180), with a leading formula character defused so a spreadsheet
/// does not run it.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }

    #[test]
    fn a_filter_survives_its_link_and_a_changed_one_is_refused() {
        let key = [7u8; 32];
        let filter = FeedFilter {
            accounts: vec![3, 4],
            actions: vec!["service.paused".into()],
            from: None,
            until: None,
        };
        let encoded = encode(&filter).expect("encodes");
        let now = Utc::now();
        let expires = now.timestamp() + 60;
        let sig = crate::domain::signed::sign(&key, &grants("account:1", &encoded), expires)
            .expect("signs");
        assert_eq!(
            verify_export(&key, "account:1", &encoded, expires, &sig, now),
            Some(filter.clone())
        );
        let other = encode(&FeedFilter::default()).expect("encodes");
        assert_eq!(
            verify_export(&key, "account:1", &other, expires, &sig, now),
            None
        );
        assert_eq!(
            verify_export(&key, "account:2", &encoded, expires, &sig, now),
            None
        );
        let later = now + chrono::Duration::seconds(61);
        assert_eq!(
            verify_export(&key, "account:1", &encoded, expires, &sig, later),
            None
        );
    }
}
