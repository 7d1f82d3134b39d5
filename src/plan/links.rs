//! What each link of a plan reads for the objects of a level: tariffs and order items by
//! id, and the pages of an account's lists (sub-accounts, services, orders, tickets,
//! documents) and of a ticket's messages, each one batch through the loaders with the keys
//! the resolvers build ([`super::load`] walks the levels and calls these).

use std::sync::Arc;

use super::{
    catalog::{Kind, Link, Scalar},
    compile::{Args, Field, Sel},
    load::{Conn, Fallback, Obj, Reached, Run, account_id, one},
    write,
};
use crate::{
    db::{page::Page, rows::Columns},
    error::AppError,
    graphql::{
        account::{self as accounts, AccountOrder, List, SubAccountFilter, fold},
        batch::Map,
        connection::page_request,
        loaders::{Cached, ChildrenOf, PageKey, Paged, Under},
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
        let found: Map<_, _> = self.loaders.tariff.load_many(ids).await?;
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
        let found: Map<_, _> = loader.load_many(ids).await?;
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
        let found: Map<_, _> = self.loaders.invoice.load_many(ids).await?;
        let payers: Map<_, _> = self
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
        L: crate::graphql::batch::Load<
                PageKey<F>,
                Value = (Page<Arc<M>>, i64),
                Error = crate::graphql::loaders::LoadError,
            >,
    {
        let keys = keys(of, counted, key, parent)?;
        let found = loader.load_many(keys.iter().flatten().cloned()).await?;
        Ok(reach(keys, found, wrap))
    }

    /// A page of sub-accounts of each allowed main account, only the columns its rows
    /// (`rows`, [`Run::rows_of`]) write read ([`Run::account_columns`]); `nested`: the lists
    /// of each sub-account the rows select, read in the page's statement where it can
    /// ([`fold`]).
    pub(super) async fn sub_accounts(
        &self,
        (args, rows): (&Args, &[&Sel]),
        of: &[Option<&Obj>],
        (counted, totals): (bool, bool),
        nested: &[&Field],
    ) -> Result<Vec<Option<Reached>>, Fallback> {
        let columns = self.account_columns(rows)?;
        let filter: Option<SubAccountFilter> = self.arg(args, "filter")?;
        let order: Option<AccountOrder> = self.arg(args, "orderBy")?;
        let page = self.page(args)?;
        let filter = filter
            .unwrap_or_default()
            .into_domain(0)
            .map_err(|_| Fallback)?;
        let sort = accounts::sort_of(order);
        let keys = keys(
            of,
            counted,
            |main| {
                Ok(accounts::sub_accounts_key(
                    main,
                    filter.clone(),
                    sort,
                    page.clone(),
                    (totals, columns),
                ))
            },
            account_id,
        )?;
        let asked: Vec<_> = keys.iter().flatten().cloned().collect();
        if !nested.is_empty() {
            self.folding(nested, Under::Pages(&asked)).await?;
        }
        let found = self.loaders.sub_accounts.load_many(asked).await?;
        Ok(reach(keys, found, Obj::Account))
    }

    /// Reads the accounts `under` names with the lists `fields` select of each, where it
    /// can ([`fold`]); they are then in the loaders' cache.
    pub(super) async fn folding(
        &self,
        fields: &[&Field],
        under: Under<'_>,
    ) -> Result<(), Fallback> {
        let mut lists = Vec::new();
        for field in fields {
            let Kind::One(
                Link::Services(args)
                | Link::Orders(args)
                | Link::Tickets(args)
                | Link::Documents(args),
                conn,
            ) = &field.kind
            else {
                return Err(Fallback);
            };
            lists.push((
                field.name.as_str(),
                args,
                self.asks(conn, &[Scalar::TotalCount])?,
            ));
        }
        let args: Vec<_> = lists
            .iter()
            .map(|(_, args, _)| move |name: &str| self.given(args, name))
            .collect();
        let folds = lists
            .iter()
            .zip(&args)
            .filter_map(|((name, _, counted), arg)| {
                let list = List {
                    name,
                    arg,
                    counted: *counted,
                };
                fold((self.loaders, self.viewer), under, &list)
            });
        Ok(self.loaders.folding(under, folds).await?)
    }

    /// The columns of the accounts a connection's rows (`rows`, [`Run::rows_of`]) write for
    /// this request, and those the policy decides with ([`policy::ACCOUNT_COLUMNS`]).
    fn account_columns(&self, rows: &[&Sel]) -> Result<Columns, Fallback> {
        let mut names = policy::ACCOUNT_COLUMNS.to_vec();
        for rows in rows {
            if !self.row_columns(rows, &mut names)? {
                return Ok(Columns::ALL);
            }
        }
        Ok(Columns::of::<entity::account::Model>(&names))
    }

    /// Adds the columns of an account's row `sel` writes to `names`; `false`: a field of it
    /// is not one the writer reads from the row or by the account's id (whole rows, then).
    fn row_columns(&self, sel: &Sel, names: &mut Vec<&'static str>) -> Result<bool, Fallback> {
        for field in &sel.fields {
            if !self.included(&field.when)? {
                continue;
            }
            match &field.kind {
                Kind::Typename(_) => {}
                Kind::Value(scalar) => match write::account_columns(*scalar) {
                    Some(columns) => names.extend(columns),
                    None => return Ok(false),
                },
                // The address is the account's row; capabilities are the policy's answers.
                Kind::One(Link::Address | Link::Capabilities, sel) => {
                    if !self.row_columns(sel, names)? {
                        return Ok(false);
                    }
                }
                // Lists are read by the account's id; but the authors of messages below are
                // named from the page's rows, with a reader's columns.
                Kind::One(
                    Link::SubAccounts(_)
                    | Link::Services(_)
                    | Link::Orders(_)
                    | Link::Tickets(_)
                    | Link::Documents(_),
                    list,
                ) => {
                    if names_authors(list) {
                        names.extend(crate::domain::record::NAME_COLUMNS);
                    }
                }
                _ => return Ok(false),
            }
        }
        Ok(true)
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
        let key = accounts::services_of(&|n| self.given(args, n)).ok_or(Fallback)?;
        self.pages(
            (of, counted),
            &self.loaders.services,
            key,
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
        let key = accounts::orders_of(&|n| self.given(args, n)).ok_or(Fallback)?;
        self.pages(
            (of, counted),
            &self.loaders.orders,
            key,
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
        let key = accounts::tickets_of(self.viewer, &|n| self.given(args, n)).ok_or(Fallback)?;
        self.pages(
            (of, counted),
            &self.loaders.tickets,
            key,
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
        let key = accounts::documents_of(&|n| self.given(args, n)).ok_or(Fallback)?;
        self.pages(
            (of, counted),
            &self.loaders.documents,
            key,
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

/// Whether `sel` or a selection below it names messages' authors.
fn names_authors(sel: &Sel) -> bool {
    sel.fields.iter().any(|f| match &f.kind {
        Kind::Value(scalar) => *scalar == Scalar::AuthorName,
        Kind::One(_, below) | Kind::Many(_, below) => names_authors(below),
        Kind::Node(_, sels) => sels.iter().any(|(_, below)| names_authors(below)),
        Kind::Typename(_) => false,
    })
}

/// The key of each allowed object's list (`None` for one its guard refused), its total read
/// only when `counted`.
fn keys<F>(
    of: &[Option<&Obj>],
    counted: bool,
    key: impl Fn(i64) -> Result<PageKey<F>, AppError>,
    parent: impl Fn(&Obj) -> Option<i64>,
) -> Result<Vec<Option<PageKey<F>>>, Fallback> {
    of.iter()
        .map(|o| {
            o.map(|o| {
                parent(o)
                    .ok_or(Fallback)
                    .and_then(|id| key(id).map_err(|_| Fallback))
                    .map(|k| k.counted(counted))
            })
            .transpose()
        })
        .collect()
}

/// Each key's page, as a connection object (an empty page for a key nothing was found for).
fn reach<F: std::hash::Hash + Eq, M>(
    keys: Vec<Option<PageKey<F>>>,
    mut found: Map<PageKey<F>, Paged<M>>,
    wrap: impl Fn(Arc<M>) -> Obj + Copy,
) -> Vec<Option<Reached>> {
    keys.into_iter()
        .map(|k| {
            k.map(|k| {
                let paged = found.remove(&k).unwrap_or_else(|| (Page::empty(), 0));
                one(Conn::of(paged, wrap))
            })
        })
        .collect()
}
