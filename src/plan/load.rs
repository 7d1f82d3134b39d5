//! Loading a plan's objects, level by level: each link of a selection is read for every
//! object of its level at once through the request's loaders (the batches, caches and policy
//! scopes the resolvers read through), then the level below. A link the policy refuses an
//! object (its resolver's guard) is not read for it. Whatever the resolvers would answer
//! with an error other than a guard's refusal (an argument that does not parse, an object
//! the viewer may not open, a failed statement) is a [`Fallback`]: they answer the request.
//! What each link reads is in [`super::links`].

use std::{ops::Range, sync::Arc};

use async_graphql::{
    InputType, Name, Value as ConstValue, Variables,
    futures_util::future::{BoxFuture, Either, ready, try_join_all},
};
use async_graphql_value::Value;

use entity::{
    account, document, invoice, invoice_line, order, order_item, service, tariff, ticket,
    ticket_message,
};

use super::{
    catalog::{Kind, Link, Scalar},
    compile::{Args, Field, Sel, When},
};
use crate::{
    auth::Viewer,
    db::page::{Cursor, Page},
    domain::{record::Rows, service::Totals},
    error::AppError,
    graphql::{batch::Map, loaders::Loaders},
    policy::{self, Action, Target},
};

/// The request goes to the resolvers.
#[derive(Debug)]
pub struct Fallback;

impl<E> From<Arc<E>> for Fallback {
    fn from(_: Arc<E>) -> Self {
        Fallback
    }
}

/// An object of a plan's answer.
#[derive(Clone)]
pub(super) enum Obj {
    Query,
    Viewer,
    Account(Arc<account::Model>),
    Address(Arc<account::Model>),
    Capabilities(Arc<account::Model>),
    Service(Arc<service::Model>),
    Tariff(Arc<tariff::Model>),
    Ticket(Arc<ticket::Model>),
    Message(Arc<ticket_message::Model>),
    Document(Arc<document::Model>),
    Order(Arc<order::Model>),
    OrderItem(Arc<order_item::Model>),
    Invoice(Arc<invoice::Model>),
    InvoiceLine(Arc<invoice_line::Model>),
    Conn(Arc<Conn>),
    Edge(Arc<Conn>, usize),
    PageInfo(Arc<Conn>),
}

/// A page of a connection.
pub(super) struct Conn {
    pub items: Vec<(Cursor, Obj)>,
    pub has_previous: bool,
    pub has_next: bool,
    pub total: i64,
}

impl Conn {
    pub(super) fn of<M>((page, total): (Page<Arc<M>>, i64), wrap: impl Fn(Arc<M>) -> Obj) -> Obj {
        let Page {
            items,
            has_previous,
            has_next,
        } = page;
        Obj::Conn(Arc::new(Conn {
            items: items
                .into_iter()
                .map(|(cursor, row)| (cursor, wrap(row)))
                .collect(),
            has_previous,
            has_next,
            total,
        }))
    }
}

/// The objects at one place of the plan (across all their parents), with what each of
/// their selection's fields loaded.
pub(super) struct Level {
    pub objs: Vec<Obj>,
    pub fields: Vec<Loaded>,
    /// The accounts' totals, when the selection asks for them.
    pub totals: Map<i64, Totals>,
    /// The rows the messages' authors name, when the selection asks for them.
    pub rows: Option<Rows>,
}

/// What one field of a selection loaded for the objects of its level.
pub(super) enum Loaded {
    /// A value of the object itself.
    Leaf,
    /// Left out by `@skip`/`@include`.
    Excluded,
    /// Each object's linked objects, in the level below.
    Links { slots: Vec<Slot>, level: Level },
    /// `node(id:)`: the object, and which of the field's selections applies to it.
    Node { sel: usize, level: Level },
}

/// What one object's link holds.
pub(super) enum Slot {
    Null,
    /// The field's guard refused it.
    Denied(AppError),
    One(usize),
    Many(Range<usize>),
}

/// One request's loading.
pub(super) struct Run<'a> {
    pub viewer: &'a Viewer,
    pub loaders: &'a Loaders,
    pub variables: &'a Variables,
    pub defaults: &'a [(Name, ConstValue)],
}

/// The policy's answer about `action` on an account.
pub(super) fn decide(
    viewer: &Viewer,
    action: Action,
    obj: &Obj,
) -> Result<Result<(), AppError>, Fallback> {
    match obj {
        Obj::Account(row) => Ok(policy::authorize(viewer, action, Target::Account(row))),
        _ => Err(Fallback),
    }
}

impl Run<'_> {
    /// A value written in the document, its variables replaced by the request's (or their
    /// defaults; a variable left out is null).
    pub(super) fn resolve(&self, value: &Value) -> ConstValue {
        let found = value.clone().into_const_with(|name| {
            Ok::<_, std::convert::Infallible>(
                self.variables
                    .get(&name)
                    .cloned()
                    .or_else(|| {
                        self.defaults
                            .iter()
                            .find(|(n, _)| *n == name)
                            .map(|(_, v)| v.clone())
                    })
                    .unwrap_or(ConstValue::Null),
            )
        });
        match found {
            Ok(v) => v,
            Err(never) => match never {},
        }
    }

    /// An argument as given (its variables replaced), if given.
    pub(super) fn given(&self, args: &Args, name: &str) -> Option<ConstValue> {
        args.iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, v)| self.resolve(v))
    }

    /// An argument, parsed as the resolver's parameter is.
    pub(super) fn arg<T: InputType>(&self, args: &Args, name: &str) -> Result<T, Fallback> {
        T::parse(self.given(args, name)).map_err(|_| Fallback)
    }

    /// Whether the field's `@skip`/`@include` conditions let it through.
    pub(super) fn included(&self, when: &[When]) -> Result<bool, Fallback> {
        for w in when {
            let (value, skip) = match w {
                When::Skip(v) => (v, true),
                When::Include(v) => (v, false),
            };
            let flag = bool::parse(Some(self.resolve(value))).map_err(|_| Fallback)?;
            if flag == skip {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Loads the level of `objs` under `sel`, and every level below.
    pub(super) fn level<'s>(
        &'s self,
        sel: &'s Sel,
        objs: Vec<Obj>,
    ) -> BoxFuture<'s, Result<Level, Fallback>> {
        Box::pin(async move {
            // A leaf is answered at once; a link's (large) future is boxed where it is
            // made, so that joining the fields moves a pointer, not the link's state.
            let objs_ref = &objs;
            let loads = sel
                .fields
                .iter()
                .map(|field| -> Either<_, BoxFuture<'_, _>> {
                    match self.included(&field.when) {
                        Err(e) => Either::Left(ready(Err(e))),
                        Ok(false) => Either::Left(ready(Ok(Loaded::Excluded))),
                        Ok(true) => match &field.kind {
                            Kind::Typename(_) | Kind::Value(_) => {
                                Either::Left(ready(Ok(Loaded::Leaf)))
                            }
                            Kind::One(link, child) | Kind::Many(link, child) => Either::Right(
                                Box::pin(self.link(link, field.guard, child, objs_ref)),
                            ),
                            Kind::Node(id, sels) => Either::Right(Box::pin(self.node(id, sels))),
                        },
                    }
                });
            let (fields, totals, rows) = async_graphql::futures_util::try_join!(
                try_join_all(loads),
                self.totals(sel, &objs),
                self.authors(sel, &objs),
            )?;
            Ok(Level {
                objs,
                fields,
                totals,
                rows,
            })
        })
    }

    /// Whether the selection answers `scalar` for this request.
    pub(super) fn asks(&self, sel: &Sel, wanted: &[Scalar]) -> Result<bool, Fallback> {
        for field in &sel.fields {
            if let Kind::Value(s) = field.kind
                && wanted.contains(&s)
                && self.included(&field.when)?
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The selections of a connection's rows this request reads: its `nodes`', and its
    /// `edges`' `node`'s.
    pub(super) fn rows_of<'s>(&self, conn: &'s Sel) -> Result<Vec<&'s Sel>, Fallback> {
        let mut rows = Vec::new();
        for field in &conn.fields {
            if !self.included(&field.when)? {
                continue;
            }
            match &field.kind {
                Kind::Many(Link::Nodes, sel) => rows.push(&**sel),
                Kind::Many(Link::Edges, edge) | Kind::One(Link::Edges, edge) => {
                    for f in &edge.fields {
                        if let Kind::One(Link::EdgeNode, sel) = &f.kind
                            && self.included(&f.when)?
                        {
                            rows.push(&**sel);
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(rows)
    }

    /// Whether a connection's rows (`rows`, [`Run::rows_of`]) answer one of `wanted` for
    /// this request.
    pub(super) fn rows_ask(&self, rows: &[&Sel], wanted: &[Scalar]) -> Result<bool, Fallback> {
        for rows in rows {
            if self.asks(rows, wanted)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The lists of an account a connection's rows (`rows`, [`Run::rows_of`]) select for
    /// this request (a page of sub-accounts reads them in its own statement where it can:
    /// [`Run::sub_accounts`]).
    fn nested_lists<'s>(&self, rows: &[&'s Sel]) -> Result<Vec<&'s Field>, Fallback> {
        let mut lists = Vec::new();
        for rows in rows {
            lists.extend(self.lists(rows)?);
        }
        Ok(lists)
    }

    /// The lists of an account `object` selects for this request.
    pub(super) fn lists<'s>(&self, object: &'s Sel) -> Result<Vec<&'s Field>, Fallback> {
        let mut lists = Vec::new();
        for field in &object.fields {
            if let Kind::One(
                Link::Services(_) | Link::Orders(_) | Link::Tickets(_) | Link::Documents(_),
                _,
            ) = &field.kind
                && self.included(&field.when)?
            {
                lists.push(field);
            }
        }
        Ok(lists)
    }

    async fn totals(&self, sel: &Sel, objs: &[Obj]) -> Result<Map<i64, Totals>, Fallback> {
        if !self.asks(
            sel,
            &[Scalar::ActiveServicesCount, Scalar::TotalServiceCost],
        )? {
            return Ok(Map::default());
        }
        let ids = objs.iter().filter_map(|o| match o {
            Obj::Account(a) => Some(a.id),
            _ => None,
        });
        Ok(self.loaders.totals.load_many(ids).await?)
    }

    async fn authors(&self, sel: &Sel, objs: &[Obj]) -> Result<Option<Rows>, Fallback> {
        use crate::domain::{record, ticket};
        if !self.asks(sel, &[Scalar::AuthorName])? {
            return Ok(None);
        }
        let refs = objs.iter().filter_map(|o| match o {
            Obj::Message(m) => match ticket::author_of(m) {
                Some(record::Actor::Account(id)) => Some(record::Ref::Account(id)),
                Some(record::Actor::Staff(id)) => Some(record::Ref::Staff(id)),
                _ => None,
            },
            _ => None,
        });
        let rows = crate::graphql::record::rows_of(self.loaders, refs).await?;
        Ok(Some(rows))
    }

    /// The objects `link` reaches from each of `objs` (those its guard allows), loaded with
    /// `child` below them.
    async fn link(
        &self,
        link: &Link,
        guard: Option<Action>,
        child: &Sel,
        objs: &[Obj],
    ) -> Result<Loaded, Fallback> {
        let mut slots: Vec<Slot> = Vec::with_capacity(objs.len());
        let mut allowed: Vec<Option<&Obj>> = Vec::with_capacity(objs.len());
        for obj in objs {
            match guard.map(|a| decide(self.viewer, a, obj)).transpose()? {
                Some(Err(e)) => {
                    slots.push(Slot::Denied(e));
                    allowed.push(None);
                }
                _ => {
                    slots.push(Slot::Null);
                    allowed.push(Some(obj));
                }
            }
        }
        // A list's total is read only when its connection answers `totalCount`.
        let counted = || self.asks(child, &[Scalar::TotalCount]);
        // Each allowed object's linked objects, in order.
        let mut reached: Vec<Option<Reached>> = Vec::with_capacity(objs.len());
        match link {
            Link::Viewer => reached.extend(allowed.iter().map(|o| o.map(|_| one(Obj::Viewer)))),
            Link::OwnAccount => {
                let own = self
                    .viewer
                    .account()
                    .map(|a| Obj::Account(Arc::new(a.clone())));
                reached.extend(allowed.iter().map(|o| o.and(own.clone()).map(one)));
            }
            Link::Address | Link::Capabilities => {
                for o in &allowed {
                    reached.push(match (o, link) {
                        (Some(Obj::Account(a)), Link::Address) => {
                            Some(one(Obj::Address(a.clone())))
                        }
                        (Some(Obj::Account(a)), _) => Some(one(Obj::Capabilities(a.clone()))),
                        (None, _) => None,
                        _ => return Err(Fallback),
                    });
                }
            }
            Link::Tariff => reached.extend(self.tariffs(&allowed).await?),
            Link::Items => reached.extend(self.items(&allowed).await?),
            Link::Invoice => reached.extend(self.invoices(&allowed).await?),
            Link::Lines => reached.extend(self.lines(&allowed).await?),
            Link::SubAccounts(args) => {
                // The page's rows' selections, found once for all that depends on them.
                let rows = self.rows_of(child)?;
                let totals = self.rows_ask(
                    &rows,
                    &[Scalar::ActiveServicesCount, Scalar::TotalServiceCost],
                )?;
                let nested = self.nested_lists(&rows)?;
                reached.extend(
                    self.sub_accounts((args, &rows), &allowed, (counted()?, totals), &nested)
                        .await?,
                )
            }
            Link::Services(args) => {
                reached.extend(self.services(args, &allowed, counted()?).await?)
            }
            Link::Orders(args) => reached.extend(self.orders(args, &allowed, counted()?).await?),
            Link::Tickets(args) => reached.extend(self.tickets(args, &allowed, counted()?).await?),
            Link::Documents(args) => {
                reached.extend(self.documents(args, &allowed, counted()?).await?)
            }
            Link::Messages(args) => {
                reached.extend(self.messages(args, &allowed, counted()?).await?)
            }
            Link::Edges | Link::Nodes | Link::PageInfo | Link::EdgeNode => {
                for o in &allowed {
                    reached.push(match (link, o) {
                        (_, None) => None,
                        (Link::Edges, Some(Obj::Conn(c))) => Some(Reached::Many(
                            (0..c.items.len())
                                .map(|i| Obj::Edge(c.clone(), i))
                                .collect(),
                        )),
                        (Link::Nodes, Some(Obj::Conn(c))) => Some(Reached::Many(
                            c.items.iter().map(|(_, o)| o.clone()).collect(),
                        )),
                        (Link::PageInfo, Some(Obj::Conn(c))) => Some(one(Obj::PageInfo(c.clone()))),
                        (Link::EdgeNode, Some(Obj::Edge(c, i))) => {
                            Some(one(c.items.get(*i).ok_or(Fallback)?.1.clone()))
                        }
                        _ => return Err(Fallback),
                    });
                }
            }
        }
        // The level below, sized once (its objects are moved in, not grown into).
        let mut below: Vec<Obj> = Vec::with_capacity(
            reached
                .iter()
                .map(|r| match r {
                    Some(Reached::One(_)) => 1,
                    Some(Reached::Many(objs)) => objs.len(),
                    None => 0,
                })
                .sum(),
        );
        for (slot, found) in slots.iter_mut().zip(reached) {
            match found {
                None => {}
                Some(Reached::One(obj)) => {
                    *slot = Slot::One(below.len());
                    below.push(obj);
                }
                Some(Reached::Many(objs)) => {
                    let start = below.len();
                    below.extend(objs);
                    *slot = Slot::Many(start..below.len());
                }
            }
        }
        let level = self.level(child, below).await?;
        Ok(Loaded::Links { slots, level })
    }
}

/// What a link reached from one object.
pub(super) enum Reached {
    One(Obj),
    Many(Vec<Obj>),
}

pub(super) fn one(obj: Obj) -> Reached {
    Reached::One(obj)
}

pub(super) fn account_id(obj: &Obj) -> Option<i64> {
    match obj {
        Obj::Account(a) => Some(a.id),
        _ => None,
    }
}
