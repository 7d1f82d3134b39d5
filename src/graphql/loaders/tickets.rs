//! An account's tickets: the list of one account (read with it where it can) and a main
//! account's own list with its sub-accounts' (read on its own), through the viewer's scope
//! of tickets; the tickets read so vouch for their messages' lists ([`Vouched`]).

use std::sync::Arc;

use sea_orm::{
    ColumnTrait, EntityTrait, QueryFilter,
    sea_query::{Condition, Query},
};

use entity::{account, enums::TicketStatus, ticket};

use super::{
    LoadError,
    pages::{AnyOf, Nests, OwnedScope, PageKey, Paged, Vouched, load_nested, shared},
};
use crate::{
    Map,
    db::{
        children::Nest,
        page::{self, PageRequest, Sort},
        reads::Reads,
    },
    graphql::batch::Load,
};

/// An account's tickets by status; a main account's own list also takes in its
/// sub-accounts' tickets (those the viewer may see: the scope decides).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TicketFilter {
    pub statuses: AnyOf<TicketStatus>,
    pub with_sub_accounts: bool,
}

/// Tickets of many accounts, within the viewer's scope of tickets. A main account's own
/// list (which takes in its sub-accounts' tickets) is read on its own: a request has one
/// such list, the viewer's.
pub struct TicketsLoader {
    pub(super) db: Reads,
    /// [`crate::policy::scope::Owned::Tickets`]: decided on the account's row where a list
    /// of an account's tickets is read with it.
    pub(super) scope: OwnedScope,
    /// Where the tickets read go: their messages need not check them again.
    pub(super) vouched: Arc<Vouched>,
}

impl TicketsLoader {
    async fn with_sub_accounts(
        &self,
        main: i64,
        statuses: &AnyOf<TicketStatus>,
        req: &PageRequest,
        counted: bool,
    ) -> Result<Paged<ticket::Model>, LoadError> {
        let mut subs = Query::select();
        subs.column(account::Column::Id)
            .from(account::Entity)
            .and_where(account::Column::MainAccountId.eq(main));
        let q = ticket::Entity::find()
            .filter(
                Condition::any()
                    .add(ticket::Column::AccountId.eq(main))
                    .add(ticket::Column::AccountId.in_subquery(subs)),
            )
            .filter(statuses.on(ticket::Column::Status))
            .filter(self.scope.rows());
        let total = if counted {
            page::count(&self.db, q.clone()).await.map_err(Arc::new)?
        } else {
            0
        };
        let sort = Sort::by_id((ticket::Entity, ticket::Column::Id), true);
        let found = page::fetch(&self.db, q, &sort, req, |_| None)
            .await
            .map_err(Arc::new)?;
        Ok(shared(found, total))
    }
}

impl Load<PageKey<TicketFilter>> for TicketsLoader {
    type Value = Paged<ticket::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[PageKey<TicketFilter>],
    ) -> Result<Map<PageKey<TicketFilter>, Self::Value>, LoadError> {
        let mut out = load_nested(&self.db, self, keys).await?;
        for key in keys {
            if key.filter.with_sub_accounts {
                let found = self
                    .with_sub_accounts(key.parent, &key.filter.statuses, &key.page, key.counted)
                    .await?;
                self.seen(&found);
                out.insert(key.clone(), found);
            }
        }
        Ok(out)
    }
}

impl Nests<TicketFilter> for TicketsLoader {
    type Entity = ticket::Entity;

    /// An account's own tickets; a main account's list with its sub-accounts' is read on
    /// its own.
    fn nest(&self, key: &PageKey<TicketFilter>) -> Option<Nest<ticket::Entity>> {
        (!key.filter.with_sub_accounts).then(|| Nest {
            parent: ticket::Column::AccountId,
            filter: key.filter.statuses.on(ticket::Column::Status),
            by_parent_row: self
                .scope
                .by_parent_row::<ticket::Entity>(ticket::Column::AccountId),
            on_parent: None,
            sort: Sort::by_id("id", true),
            key: None,
            page: key.page.clone(),
            counted: key.counted,
        })
    }

    fn seen(&self, page: &Paged<ticket::Model>) {
        self.vouched.add(page.0.items.iter().map(|(_, row)| row.id));
    }
}
