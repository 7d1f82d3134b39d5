//! The account lists: the admin's `accounts` and a main account's sub-accounts, filtered,
//! sorted and paged by keyset.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Select,
    sea_query::{Condition, Expr, ExprTrait, SimpleExpr},
};

use entity::{
    account,
    enums::{AccountStatus, SubAccountType},
};

use crate::db::{
    children::{Beside, Children, Folded, Join, KeyKind, Nested, fetch_folded},
    page::{self, Page, PageRequest, Sort, SortKey},
    rows::{Columns, Positional},
};
use crate::error::AppResult;

/// Filters of the sub-accounts list and of the admin's accounts list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct AccountFilter {
    pub statuses: Vec<AccountStatus>,
    pub kind: Option<SubAccountType>,
    pub search: Option<String>,
    pub partner_id: Option<i64>,
    pub main_account_id: Option<i64>,
}

/// Sort fields of account lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountSort {
    FullName,
    Status,
    LinkedAt,
    TotalServiceCost,
    Id,
}

/// Account statuses in lifecycle order, the order of the status sort: the one list the SQL
/// sort key and the cursors' Rust key are both made from.
const STATUS_ORDER: [AccountStatus; 4] = [
    AccountStatus::New,
    AccountStatus::Active,
    AccountStatus::Blocked,
    AccountStatus::Inactive,
];

fn status_rank(s: AccountStatus) -> i64 {
    STATUS_ORDER
        .iter()
        .position(|x| *x == s)
        .unwrap_or(STATUS_ORDER.len()) as i64
}

/// `CASE accounts.status WHEN 'NEW' THEN 0 ... END`, from [`STATUS_ORDER`].
fn status_rank_sql() -> SimpleExpr {
    let status = || Expr::col((account::Entity, account::Column::Status));
    let mut rank = Expr::case(status().eq(STATUS_ORDER[0].as_str()), Expr::val(0i64));
    for (i, s) in STATUS_ORDER.iter().enumerate().skip(1) {
        rank = rank.case(status().eq(s.as_str()), Expr::val(i as i64));
    }
    rank.finally(Expr::val(STATUS_ORDER.len() as i64)).into()
}

impl AccountSort {
    fn sort(self, descending: bool) -> Sort {
        let key: Option<SimpleExpr> = match self {
            AccountSort::FullName => Some(Expr::col((account::Entity, account::Column::FullName))),
            AccountSort::Status => Some(status_rank_sql()),
            AccountSort::LinkedAt => Some(Expr::col((account::Entity, account::Column::LinkedAt))),
            AccountSort::TotalServiceCost => Some(crate::domain::service::total_cost_of_account()),
            AccountSort::Id => None,
        };
        Sort {
            key,
            id: Expr::col((account::Entity, account::Column::Id)),
            descending,
        }
    }

    /// How the sort key is read back from a statement (nested pages).
    fn key_kind(self) -> Option<KeyKind> {
        match self {
            AccountSort::FullName => Some(KeyKind::Text),
            AccountSort::Status | AccountSort::TotalServiceCost => Some(KeyKind::Int),
            AccountSort::LinkedAt => Some(KeyKind::Time),
            AccountSort::Id => None,
        }
    }

    /// The sort key of a row. Total cost needs the aggregate, which the caller supplies.
    fn key_of(self, row: &account::Model, total_cost: Option<i64>) -> Option<SortKey> {
        match self {
            AccountSort::FullName => Some(SortKey::Text(row.full_name.clone())),
            AccountSort::Status => Some(SortKey::Int(status_rank(row.status))),
            AccountSort::LinkedAt => row.linked_at.map(SortKey::Time),
            AccountSort::TotalServiceCost => Some(SortKey::Int(total_cost.unwrap_or(0))),
            AccountSort::Id => None,
        }
    }
}

fn condition(filter: &AccountFilter) -> Condition {
    let mut c = Condition::all();
    if !filter.statuses.is_empty() {
        c = c.add(account::Column::Status.is_in(filter.statuses.iter().copied()));
    }
    if let Some(kind) = filter.kind {
        c = c.add(account::Column::SubAccountType.eq(kind));
    }
    if let Some(main) = filter.main_account_id {
        c = c.add(account::Column::MainAccountId.eq(main));
    }
    if let Some(partner) = filter.partner_id {
        c = c.add(account::Column::PartnerId.eq(partner));
    }
    if let Some(search) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        // Bound parameter, with LIKE wildcards escaped: the search text is only ever text.
        let pattern = format!("%{}%", escape_like(&search.to_lowercase()));
        c = c.add(
            Expr::col((account::Entity, account::Column::SearchText))
                .like(sea_orm::sea_query::LikeExpr::new(pattern).escape('\\')),
        );
    }
    c
}

/// The accounts under `filter` within a viewer's `scope` (the policy's scope of accounts).
fn filtered(scope: &Condition, filter: &AccountFilter) -> Select<account::Entity> {
    account::Entity::find()
        .filter(scope.clone())
        .filter(condition(filter))
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// One page of accounts under a filter and sort. With the total-cost sort, the cost of each
/// row is read in the same statement for its cursor.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    scope: &Condition,
    filter: &AccountFilter,
    sort: AccountSort,
    descending: bool,
    req: &PageRequest,
) -> AppResult<Page<account::Model>> {
    let spec = sort.sort(descending);
    if sort == AccountSort::TotalServiceCost {
        // Fetch (row, cost) pairs: the cursor needs the cost, which the model lacks.
        let mut page = page::fetch(db, filtered(scope, filter), &spec, req, |_| {
            Some(SortKey::Int(0))
        })
        .await?;
        let ids: Vec<i64> = page.items.iter().map(|(c, _)| c.id).collect();
        let totals = crate::domain::service::totals_for(db, &ids).await?;
        for (cursor, row) in page.items.iter_mut() {
            let cost = totals.get(&row.id).map(|t| t.cost_minor).unwrap_or(0);
            cursor.key = sort.key_of(row, Some(cost));
        }
        return Ok(page);
    }
    page::fetch(db, filtered(scope, filter), &spec, req, |row| {
        sort.key_of(row, None)
    })
    .await
}

/// How many accounts the filter matches.
pub async fn count<C: ConnectionTrait>(
    db: &C,
    scope: &Condition,
    filter: &AccountFilter,
) -> AppResult<i64> {
    page::count(db, filtered(scope, filter)).await
}

/// Pages of the sub-accounts of many main accounts at once, under one filter and sort (the
/// filter's own main account is the partition and is ignored), each with its total when
/// `counted`, only `columns` of each row read (the others blank, `db::rows::Columns`), `B`
/// read beside each sub-account on a page (e.g. its `Totals`; `()` for nothing), by its id,
/// and each of `nests`' list of each sub-account on a page read in the same statement where
/// the engine can ([`fetch_folded`]).
pub async fn sub_accounts_of<B: Beside, C: ConnectionTrait>(
    db: &C,
    (scope, mains): (Condition, &[i64]),
    filter: &AccountFilter,
    (sort, descending): (AccountSort, bool),
    (req, counted, columns): (&PageRequest, bool, Columns),
    nests: &mut [&mut dyn Nested],
) -> AppResult<Folded<account::Model, B>> {
    let filter = AccountFilter {
        main_account_id: None,
        ..filter.clone()
    };
    let spec = sort.sort(descending);
    let of = Children {
        parent: account::Column::MainAccountId,
        parents: mains,
        filter: condition(&filter).add(scope),
        on_parent: None,
        columns,
        sort: &spec,
        key: sort.key_kind(),
        page: req,
        counted,
    };
    fetch_folded::<account::Entity, B, _>(db, of, nests).await
}

/// The account a row belongs to (the row's `account_id`), read beside it.
impl Beside for account::Model {
    const JOIN: Option<Join> = Some(Join {
        table: "accounts",
        on: ("id", "account_id"),
        columns: <account::Model as Positional>::COLUMNS,
    });

    fn read(row: &sea_orm::QueryResult, at: &[usize]) -> AppResult<Self> {
        Ok(<account::Model as Positional>::at(row, at)?)
    }
}
