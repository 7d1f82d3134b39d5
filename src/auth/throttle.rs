//! Login throttling, shared by every replica: failed logins are counted in the database
//! (`login_failures`), per key and window, so N replicas behind a load balancer give an
//! attacker no more guesses than one. Three keys, each with its own rule, so that a stranger
//! cannot lock a customer out:
//!
//! - **login and client address**: after [`MAX_PER_PAIR`] failures in [`WINDOW`] that address
//!   is refused (`RATE_LIMITED`) for that login until the window passes;
//! - **client address**: after [`MAX_PER_ADDRESS`] failures (any logins) the address is
//!   refused, against password spraying;
//! - **login, from anywhere**: never refused. Beyond [`FREE_PER_LOGIN`] failures each attempt
//!   waits a delay that doubles with every further failure (capped at [`MAX_DELAY`]), which
//!   slows a guesser spread over many addresses while the customer, from an address that has
//!   not failed, still signs in with the right password.
//!
//! An attempt takes its place in the counters before its password is checked ([`reserve`]),
//! so attempts sent at once cannot all be judged. A success clears the login's and the
//! pair's counters and gives back its place on the address. The scheduler sweeps expired rows.

use std::{net::IpAddr, time::Duration};

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
    sea_query::{Expr, ExprTrait, OnConflict},
};

use entity::login_failure;

use crate::error::AppResult;

pub const MAX_PER_PAIR: i32 = 5;
pub const MAX_PER_ADDRESS: i32 = 20;
pub const FREE_PER_LOGIN: i32 = 5;
pub const MAX_DELAY: Duration = Duration::from_secs(8);
pub const WINDOW: chrono::Duration = chrono::Duration::minutes(15);

/// What the throttle says about one login attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Try now.
    Go,
    /// Try after waiting this long (the login is under attack from elsewhere).
    After(Duration),
    /// Refused until the window passes.
    Refused,
}

fn login_key(login: &str) -> String {
    format!("login:{}", login.trim().to_lowercase())
}

fn pair_key(login: &str, address: Option<IpAddr>) -> String {
    let address = address.map_or_else(|| "unknown".to_string(), |a| a.to_string());
    format!("pair:{}|{address}", login.trim().to_lowercase())
}

fn address_key(address: IpAddr) -> String {
    format!("addr:{address}")
}

/// The delay a login's failures earn each further attempt.
pub fn delay_for(login_failures: i32) -> Duration {
    let over = login_failures - FREE_PER_LOGIN;
    if over <= 0 {
        return Duration::ZERO;
    }
    let ms = 250u64.saturating_mul(1u64 << over.clamp(1, 16).saturating_sub(1));
    Duration::from_millis(ms).min(MAX_DELAY)
}

/// Takes an attempt's place before its password is checked, on every replica alike: each
/// key's counter is bumped in one statement that answers the new count (an upsert), so of
/// attempts sent at once each sees those before it and no more than the limit are judged.
/// The pair and the address first: an attempt they refuse is not counted against the login
/// (a stranger's refused guesses do not slow its owner down). What is counted stays counted
/// unless the password is right ([`succeeded`]).
pub async fn reserve<C: ConnectionTrait>(
    db: &C,
    login: &str,
    address: Option<IpAddr>,
    now: DateTime<Utc>,
) -> AppResult<Verdict> {
    let pair = bump(db, pair_key(login, address), now).await?;
    let by_address = match address {
        Some(a) => bump(db, address_key(a), now).await?,
        None => 0,
    };
    if pair > MAX_PER_PAIR || by_address > MAX_PER_ADDRESS {
        return Ok(Verdict::Refused);
    }
    // The login's failures before this attempt earn it its delay.
    let before = bump(db, login_key(login), now).await? - 1;
    Ok(match delay_for(before) {
        Duration::ZERO => Verdict::Go,
        wait => Verdict::After(wait),
    })
}

/// Counts one attempt on a key and answers the count: one statement (insert, or add one to
/// the current window, or start a new window when the last one passed).
async fn bump<C: ConnectionTrait>(db: &C, key: String, now: DateTime<Utc>) -> AppResult<i32> {
    let stale = Expr::col((
        login_failure::Entity,
        login_failure::Column::WindowStartedAt,
    ))
    .lte(now - WINDOW);
    let row = login_failure::Entity::insert(login_failure::ActiveModel {
        key: Set(key),
        failures: Set(1),
        window_started_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(login_failure::Column::Key)
            .value(
                login_failure::Column::Failures,
                Expr::case(stale.clone(), Expr::val(1)).finally(
                    Expr::col((login_failure::Entity, login_failure::Column::Failures)).add(1),
                ),
            )
            .value(
                login_failure::Column::WindowStartedAt,
                Expr::case(stale, Expr::val(now)).finally(Expr::col((
                    login_failure::Entity,
                    login_failure::Column::WindowStartedAt,
                ))),
            )
            .to_owned(),
    )
    .exec_with_returning(db)
    .await?;
    Ok(row.failures)
}

/// Forgets a login's failures (and its pair's) after it succeeded, and gives back the place
/// the attempt took on its address; the address keeps the rest of its count, so a sprayer
/// that guessed one password is not cleared (and right passwords never add up to a block).
pub async fn succeeded<C: ConnectionTrait>(
    db: &C,
    login: &str,
    address: Option<IpAddr>,
) -> AppResult<()> {
    login_failure::Entity::delete_many()
        .filter(login_failure::Column::Key.is_in([login_key(login), pair_key(login, address)]))
        .exec(db)
        .await?;
    if let Some(address) = address {
        login_failure::Entity::update_many()
            .col_expr(
                login_failure::Column::Failures,
                Expr::col(login_failure::Column::Failures).sub(1),
            )
            .filter(login_failure::Column::Key.eq(address_key(address)))
            .filter(login_failure::Column::Failures.gt(0))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Deletes the counters whose window passed before `now`; returns how many.
pub async fn sweep<C: ConnectionTrait>(db: &C, now: DateTime<Utc>) -> AppResult<u64> {
    Ok(login_failure::Entity::delete_many()
        .filter(login_failure::Column::WindowStartedAt.lte(now - WINDOW))
        .exec(db)
        .await?
        .rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_under_attack_waits_longer_each_failure_but_is_never_refused() {
        assert_eq!(delay_for(0), Duration::ZERO);
        assert_eq!(delay_for(FREE_PER_LOGIN), Duration::ZERO);
        assert_eq!(delay_for(FREE_PER_LOGIN + 1), Duration::from_millis(250));
        assert_eq!(delay_for(FREE_PER_LOGIN + 2), Duration::from_millis(500));
        assert_eq!(delay_for(FREE_PER_LOGIN + 3), Duration::from_secs(1));
        assert_eq!(delay_for(1_000), MAX_DELAY);
    }

    #[test]
    fn keys_ignore_case_and_spaces_and_keep_addresses_apart() {
        let here: IpAddr = [10, 0, 0, 7].into();
        assert_eq!(login_key(" Alice "), login_key("alice"));
        assert_eq!(pair_key("ALICE", Some(here)), "pair:alice|10.0.0.7");
        assert_ne!(
            pair_key("alice", Some(here)),
            pair_key("alice", Some([10, 0, 0, 8].into()))
        );
    }
}
