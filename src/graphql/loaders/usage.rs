//! Usage of many accounts at once: the ranges a usage page or statistic is asked for, the
//! filters of the recorded calls and sessions in a range (nested pages, [`super::pages`]),
//! and the loaders of the daily or monthly figures, one statement per distinct range.

use std::sync::Arc;

use sea_orm::sea_query::Condition;

use super::{LoadError, pages::ChildFilter};
use crate::{Map, db::reads::Reads, graphql::batch::Load};

/// A date range `[from, to)` of usage records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Between {
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
}

/// The voice calls of an account in a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CallsBetween(pub Between);

impl ChildFilter for CallsBetween {
    fn condition(&self) -> Condition {
        crate::domain::usage::calls_between(self.0.from, self.0.to)
    }
}

/// The Internet sessions of an account in a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionsBetween(pub Between);

impl ChildFilter for SessionsBetween {
    fn condition(&self) -> Condition {
        crate::domain::usage::sessions_between(self.0.from, self.0.to)
    }
}

/// The key of an account's usage in a range (`monthly`: points per month).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UsageKey {
    pub account: i64,
    pub range: Between,
    pub monthly: bool,
}

/// Each account's figures of one range under their key.
fn keyed<V>(
    found: impl IntoIterator<Item = (i64, V)>,
    range: Between,
    monthly: bool,
) -> impl Iterator<Item = (UsageKey, V)> {
    found.into_iter().map(move |(account, stats)| {
        let key = UsageKey {
            account,
            range,
            monthly,
        };
        (key, stats)
    })
}

/// Internet usage of many accounts: one statement per distinct range.
pub struct InternetLoader(pub(super) Reads);

impl Load<UsageKey> for InternetLoader {
    type Value = crate::domain::usage::InternetStats;
    type Error = LoadError;

    async fn load(&self, keys: &[UsageKey]) -> Result<Map<UsageKey, Self::Value>, LoadError> {
        let mut groups: Map<(Between, bool), Vec<i64>> = Map::default();
        for k in keys {
            groups
                .entry((k.range, k.monthly))
                .or_default()
                .push(k.account);
        }
        let mut out = Map::default();
        for ((range, monthly), accounts) in groups {
            let found = crate::domain::usage::internet_for(
                &self.0, &accounts, range.from, range.to, monthly,
            )
            .await
            .map_err(Arc::new)?;
            out.extend(keyed(found, range, monthly));
        }
        Ok(out)
    }
}

/// Voice usage of many accounts: one statement per distinct range.
pub struct VoiceLoader(pub(super) Reads);

impl Load<UsageKey> for VoiceLoader {
    type Value = crate::domain::usage::VoiceStats;
    type Error = LoadError;

    async fn load(&self, keys: &[UsageKey]) -> Result<Map<UsageKey, Self::Value>, LoadError> {
        let mut groups: Map<Between, Vec<i64>> = Map::default();
        for k in keys {
            groups.entry(k.range).or_default().push(k.account);
        }
        let mut out = Map::default();
        for (range, accounts) in groups {
            let found = crate::domain::usage::voice_for(&self.0, &accounts, range.from, range.to)
                .await
                .map_err(Arc::new)?;
            out.extend(keyed(found, range, false));
        }
        Ok(out)
    }
}
