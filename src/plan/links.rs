//! What each link of a plan reads for the objects of a level: tariffs and order items by
//! id, and the pages of an account's lists (sub-accounts, services, orders, tickets,
//! documents) and of a ticket's messages, each one batch through the loaders with the keys
//! the resolvers build ([`super::load`] walks the levels and calls these).

use std::sync::Arc;

use super::{
    compile::Args,
    load::{Conn, Fallback, Obj, Reached, Run, account_id, one},
};
use crate::{
    db::page::Page,
    error::AppError,
    graphql::{
        account::{self as accounts, AccountOrder, SubAccountFilter},
        connection::page_request,
        enums::{DocumentKind, OrderStatus, ServiceStatus, TicketStatus},
        loaders::{Cached, ChildrenOf, PageKey},
        ticket::messages_key,
    },
    policy::{self, Action, Target},
};

impl Run<'_> {
    pub(super) async fn tariffs(
        &self,
        of: &[Option<&Obj>],
    ) -> Result<Vec<Option<Reached>>, Fallback> {
        let id = |o: &Obj| match o {
            Obj::Service(s) => Some(s.tariff_id),
            Obj::OrderItem(i) => Some(i.tariff_id),
            _ => None,
        };
        let ids: Vec<i64> = of.iter().flatten().filter_map(|o| id(o)).collect();
        let found = self.loaders.tariff.load_many(ids).await?;
        of.iter()
            .map(|o| {
                let Some(o) = o else { return Ok(None) };
                let row = found.get(&id(o).ok_or(Fallback)?).ok_or(Fallback)?;
                // `follow`: the tariff if the viewer may see it; the resolvers answer otherwise.
                policy::authorize(self.viewer, Action::See, Target::Tariff(row))
                    .map_err(|_| Fallback)?;
                Ok(Some(one(Obj::Tariff(Arc::new(row.clone())))))
            })
            .collect()
    }

    pub(super) async fn items(
        &self,
        of: &[Option<&Obj>],
    ) -> Result<Vec<Option<Reached>>, Fallback> {
        let order = |o: &Obj| match o {
            Obj::Order(order) => Some(order.id),
            _ => None,
        };
        self.below(of, &self.loaders.order_items, order, Obj::OrderItem)
            .await
    }

    pub(super) async fn lines(
        &self,
        of: &[Option<&Obj>],
    ) -> Result<Vec<Option<Reached>>, Fallback> {
        let invoice = |o: &Obj| match o {
            Obj::Invoice(invoice) => Some(invoice.id),
            _ => None,
        };
        self.below(of, &self.loaders.invoice_lines, invoice, Obj::InvoiceLine)
            .await
    }

    /// Every child row of each object (an order's items, an invoice's lines): one batch.
    async fn below<E>(
        &self,
        of: &[Option<&Obj>],
        loader: &Cached<ChildrenOf<E>>,
        parent: impl Fn(&Obj) -> Option<i64>,
        wrap: fn(Arc<E::Model>) -> Obj,
    ) -> Result<Vec<Option<Reached>>, Fallback>
    where
        E: sea_orm::EntityTrait + Send + Sync + 'static,
        E::Model: Clone + Send + Sync + 'static,
        E::Column: Send + Sync,
    {
        let ids: Vec<i64> = of
            .iter()
            .flatten()
            .map(|o| parent(o).ok_or(Fallback))
            .collect::<Result<_, _>>()?;
        let found = loader.load_many(ids).await?;
        of.iter()
            .map(|o| {
                o.map(|o| {
                    let rows = found.get(&parent(o).ok_or(Fallback)?);
                    Ok(Reached::Many(
                        rows.into_iter()
                            .flatten()
                            .map(|r| wrap(Arc::new(r.clone())))
                            .collect(),
                    ))
                })
                .transpose()
            })
            .collect()
    }

    /// An order's invoice, when there is one and the viewer may see it (null otherwise, as
    /// `follow_optional` answers); its payer is in the request's cache, read with it.
    pub(super) async fn invoices(
        &self,
        of: &[Option<&Obj>],
    ) -> Result<Vec<Option<Reached>>, Fallback> {
        let invoice_of = |o: &Obj| match o {
            Obj::Order(order) => Ok(order.invoice_id),
            _ => Err(Fallback),
        };
        let mut ids = Vec::new();
        for o in of.iter().flatten() {
            ids.extend(invoice_of(o)?);
        }
        let found = self.loaders.invoice.load_many(ids).await?;
        let payers = self
            .loaders
            .account
            .load_many(found.values().map(|i| i.account_id))
            .await?;
        of.iter()
            .map(|o| {
                let Some(id) = o.map(invoice_of).transpose()?.flatten() else {
                    return Ok(None);
                };
                let Some(row) = found.get(&id) else {
                    return Ok(None);
                };
                let payer = payers.get(&row.account_id).ok_or(Fallback)?;
                match policy::authorize(self.viewer, Action::See, Target::Invoice(row, payer)) {
                    Ok(()) => Ok(Some(one(Obj::Invoice(Arc::new(row.clone()))))),
                    Err(AppError::NotFound | AppError::Forbidden | AppError::Denied(_)) => Ok(None),
                    Err(_) => Err(Fallback),
                }
            })
            .collect()
    }

    /// Pages of a list of each account: one key per allowed account, one batch for all,
    /// each list's total read only when `counted`.
    pub(super) async fn pages<F, M, L>(
        &self,
        (of, counted): (&[Option<&Obj>], bool),
        loader: &crate::graphql::loaders::Cached<L, PageKey<F>>,
        key: impl Fn(i64) -> Result<PageKey<F>, AppError>,
        parent: impl Fn(&Obj) -> Option<i64>,
        wrap: impl Fn(Arc<M>) -> Obj + Copy,
    ) -> Result<Vec<Option<Reached>>, Fallback>
    where
        F: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
        L: async_graphql::dataloader::Loader<
                PageKey<F>,
                Value = (Page<Arc<M>>, i64),
                Error = crate::graphql::loaders::LoadError,
            >,
    {
        let keys: Vec<Option<PageKey<F>>> = of
            .iter()
            .map(|o| {
                o.map(|o| {
                    parent(o)
                        .ok_or(Fallback)
                        .and_then(|id| key(id).map_err(|_| Fallback))
                        .map(|k| k.counted(counted))
                })
                .transpose()
            })
            .collect::<Result<_, _>>()?;
        let mut found = loader.load_many(keys.iter().flatten().cloned()).await?;
        Ok(keys
            .into_iter()
            .map(|k| {
                k.map(|k| {
                    let paged = found.remove(&k).unwrap_or_else(|| (Page::empty(), 0));
                    one(Conn::of(paged, wrap))
                })
            })
            .collect())
    }

    pub(super) async fn sub_accounts(
        &self,
        args: &Args,
        of: &[Option<&Obj>],
        (counted, totals): (bool, bool),
    ) -> Result<Vec<Option<Reached>>, Fallback> {
        let filter: Option<SubAccountFilter> = self.arg(args, "filter")?;
        let order: Option<AccountOrder> = self.arg(args, "orderBy")?;
        let page = self.page(args)?;
        let filter = filter
            .unwrap_or_default()
            .into_domain(0)
            .map_err(|_| Fallback)?;
        let sort = accounts::sort_of(order);
        self.pages(
            (of, counted),
            &self.loaders.sub_accounts,
            |main| {
                Ok(accounts::sub_accounts_key(
                    main,
                    filter.clone(),
                    sort,
                    page.clone(),
                    totals,
                ))
            },
            account_id,
            Obj::Account,
        )
        .await
    }

    pub(super) fn page(&self, args: &Args) -> Result<crate::db::page::PageRequest, Fallback> {
        page_request(
            self.arg(args, "first")?,
            self.arg(args, "after")?,
            self.arg(args, "last")?,
            self.arg(args, "before")?,
        )
        .map_err(|_| Fallback)
    }

    pub(super) async fn services(
        &self,
        args: &Args,
        of: &[Option<&Obj>],
        counted: bool,
    ) -> Result<Vec<Option<Reached>>, Fallback> {
        let status: Option<Vec<ServiceStatus>> = self.arg(args, "status")?;
        let (first, after): (Option<i32>, Option<String>) =
            (self.arg(args, "first")?, self.arg(args, "after")?);
        let (last, before): (Option<i32>, Option<String>) =
            (self.arg(args, "last")?, self.arg(args, "before")?);
        self.pages(
            (of, counted),
            &self.loaders.services,
            |id| {
                accounts::services_key(
                    id,
                    status.clone(),
                    first,
                    after.clone(),
                    last,
                    before.clone(),
                )
            },
            account_id,
            Obj::Service,
        )
        .await
    }

    pub(super) async fn orders(
        &self,
        args: &Args,
        of: &[Option<&Obj>],
        counted: bool,
    ) -> Result<Vec<Option<Reached>>, Fallback> {
        let status: Option<Vec<OrderStatus>> = self.arg(args, "status")?;
        let (first, after): (Option<i32>, Option<String>) =
            (self.arg(args, "first")?, self.arg(args, "after")?);
        self.pages(
            (of, counted),
            &self.loaders.orders,
            |id| accounts::orders_key(id, status.clone(), first, after.clone()),
            account_id,
            Obj::Order,
        )
        .await
    }

    pub(super) async fn tickets(
        &self,
        args: &Args,
        of: &[Option<&Obj>],
        counted: bool,
    ) -> Result<Vec<Option<Reached>>, Fallback> {
        let status: Option<Vec<TicketStatus>> = self.arg(args, "status")?;
        let (first, after): (Option<i32>, Option<String>) =
            (self.arg(args, "first")?, self.arg(args, "after")?);
        self.pages(
            (of, counted),
            &self.loaders.tickets,
            |id| accounts::tickets_key(self.viewer, id, status.clone(), first, after.clone()),
            account_id,
            Obj::Ticket,
        )
        .await
    }

    pub(super) async fn documents(
        &self,
        args: &Args,
        of: &[Option<&Obj>],
        counted: bool,
    ) -> Result<Vec<Option<Reached>>, Fallback> {
        let kind: Option<DocumentKind> = self.arg(args, "kind")?;
        let (first, after): (Option<i32>, Option<String>) =
            (self.arg(args, "first")?, self.arg(args, "after")?);
        self.pages(
            (of, counted),
            &self.loaders.documents,
            |id| accounts::documents_key(id, kind, first, after.clone()),
            account_id,
            Obj::Document,
        )
        .await
    }

    pub(super) async fn messages(
        &self,
        args: &Args,
        of: &[Option<&Obj>],
        counted: bool,
    ) -> Result<Vec<Option<Reached>>, Fallback> {
        let (first, after): (Option<i32>, Option<String>) =
            (self.arg(args, "first")?, self.arg(args, "after")?);
        self.pages(
            (of, counted),
            &self.loaders.ticket_messages,
            |id| messages_key(id, first, after.clone()),
            |o| match o {
                Obj::Ticket(t) => Some(t.id),
                _ => None,
            },
            Obj::Message,
        )
        .await
    }
}
