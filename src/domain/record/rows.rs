//! The rows a batch of records names, with the accounts that own them: what a [`Reader`]
//! asks the policy about. Loaded here with one statement per kind (exports, workflows), or
//! by the GraphQL layer through the request's DataLoaders.
//!
//! [`Reader`]: super::Reader

use std::collections::{BTreeSet, HashMap};

use sea_orm::{ConnectionTrait, EntityTrait, QueryFilter};

use entity::{account, document, invoice, order, service, staff_user, tariff, ticket};

use super::Ref;
use crate::error::AppResult;

/// The ids a batch of records names, by kind.
#[derive(Debug, Clone, Default)]
pub struct Wanted {
    pub accounts: BTreeSet<i64>,
    pub orders: BTreeSet<i64>,
    pub invoices: BTreeSet<i64>,
    pub tickets: BTreeSet<i64>,
    pub services: BTreeSet<i64>,
    pub documents: BTreeSet<i64>,
    pub tariffs: BTreeSet<i64>,
    pub staff: BTreeSet<i64>,
}

impl Wanted {
    pub fn add(&mut self, r: Ref) {
        let _ = match r {
            Ref::Account(id) => self.accounts.insert(id),
            Ref::Order(id) => self.orders.insert(id),
            Ref::Invoice(id) => self.invoices.insert(id),
            Ref::Ticket(id) => self.tickets.insert(id),
            Ref::Service(id) => self.services.insert(id),
            Ref::Document(id) => self.documents.insert(id),
            Ref::Tariff(id) => self.tariffs.insert(id),
            Ref::Staff(id) => self.staff.insert(id),
        };
    }
}

impl FromIterator<Ref> for Wanted {
    fn from_iter<I: IntoIterator<Item = Ref>>(refs: I) -> Self {
        let mut wanted = Wanted::default();
        for r in refs {
            wanted.add(r);
        }
        wanted
    }
}

/// Rows by id, per kind. A missing row is an object nobody sees.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    /// Whole rows when read by [`Rows::load`]; through a request's loaders, rows with at
    /// least the columns a reader reads ([`super::account_columns`]), the others maybe blank.
    pub accounts: HashMap<i64, account::Model>,
    pub orders: HashMap<i64, order::Model>,
    pub invoices: HashMap<i64, invoice::Model>,
    pub tickets: HashMap<i64, ticket::Model>,
    pub services: HashMap<i64, service::Model>,
    pub documents: HashMap<i64, document::Model>,
    pub tariffs: HashMap<i64, tariff::Model>,
    pub staff: HashMap<i64, staff_user::Model>,
}

impl Rows {
    /// The accounts that own the objects already here (an order's account, an invoice's
    /// payer, a ticket's, service's or document's account), which the policy decides with.
    pub fn owners(&self) -> BTreeSet<i64> {
        self.orders
            .values()
            .map(|o| o.account_id)
            .chain(self.invoices.values().map(|i| i.account_id))
            .chain(self.tickets.values().map(|t| t.account_id))
            .chain(self.services.values().map(|s| s.account_id))
            .chain(self.documents.values().map(|d| d.account_id))
            .filter(|id| !self.accounts.contains_key(id))
            .collect()
    }

    /// Reads the rows `wanted` names, and their owners: one statement per kind present.
    pub async fn load<C: ConnectionTrait>(db: &C, wanted: &Wanted) -> AppResult<Rows> {
        async fn by_ids<E, C>(
            db: &C,
            col: E::Column,
            ids: &BTreeSet<i64>,
            id: impl Fn(&E::Model) -> i64,
        ) -> AppResult<HashMap<i64, E::Model>>
        where
            E: EntityTrait,
            C: ConnectionTrait,
        {
            if ids.is_empty() {
                return Ok(HashMap::new());
            }
            Ok(E::find()
                .filter(crate::db::among::column_among(col, ids.iter().copied()))
                .all(db)
                .await?
                .into_iter()
                .map(|row| (id(&row), row))
                .collect())
        }
        let mut rows = Rows {
            accounts: HashMap::new(),
            orders: by_ids::<order::Entity, _>(db, order::Column::Id, &wanted.orders, |r| r.id)
                .await?,
            invoices: by_ids::<invoice::Entity, _>(
                db,
                invoice::Column::Id,
                &wanted.invoices,
                |r| r.id,
            )
            .await?,
            tickets: by_ids::<ticket::Entity, _>(db, ticket::Column::Id, &wanted.tickets, |r| r.id)
                .await?,
            services: by_ids::<service::Entity, _>(
                db,
                service::Column::Id,
                &wanted.services,
                |r| r.id,
            )
            .await?,
            documents: by_ids::<document::Entity, _>(
                db,
                document::Column::Id,
                &wanted.documents,
                |r| r.id,
            )
            .await?,
            tariffs: by_ids::<tariff::Entity, _>(db, tariff::Column::Id, &wanted.tariffs, |r| r.id)
                .await?,
            staff: by_ids::<staff_user::Entity, _>(
                db,
                staff_user::Column::Id,
                &wanted.staff,
                |r| r.id,
            )
            .await?,
        };
        let mut accounts = wanted.accounts.clone();
        accounts.extend(rows.owners());
        rows.accounts =
            by_ids::<account::Entity, _>(db, account::Column::Id, &accounts, |r| r.id).await?;
        Ok(rows)
    }
}
