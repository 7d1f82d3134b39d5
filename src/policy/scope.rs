//! The SQL half of the policy: for each table a list reads, which of its rows a viewer may
//! see, as a condition beside the Rust rule it mirrors (`authorize(viewer, See, Target::…)`),
//! built from the same pieces ([`sub_account_allows`], [`own_allows`]). Lists filter with
//! these, so a page and its `totalCount` hold exactly what the reader may open; a test
//! generates rows and holds each condition equal to its rule (`tests/api/scopes.rs`).

use sea_orm::{
    EntityTrait, IdenStatic,
    sea_query::{Condition, Expr, ExprTrait, Query, SelectStatement, SimpleExpr},
};

use entity::{
    account, activity, document, enums::SubAccountType, internet_session, invoice, notification,
    order, service, ticket, ticket_message, voice_call,
};

use super::{Action, own_allows, sub_account_allows};
use crate::auth::{CustomerViewer, Viewer};

/// A condition no row meets.
fn none() -> Condition {
    Condition::all().add(Expr::cust("1 = 0"))
}

/// The customer a scope is about; staff and the system see every row, anonymous callers none.
enum Who<'a> {
    All,
    Nobody,
    Customer(&'a CustomerViewer),
}

fn who(viewer: &Viewer) -> Who<'_> {
    match viewer {
        Viewer::Admin(_) | Viewer::System => Who::All,
        Viewer::Anonymous => Who::Nobody,
        Viewer::Customer(c) => Who::Customer(c),
    }
}

/// The sub-account kinds on which `action` is allowed for the customer.
fn kinds_allowing(c: &CustomerViewer, action: Action) -> Vec<SubAccountType> {
    [SubAccountType::Aggregated, SubAccountType::Independent]
        .into_iter()
        .filter(|kind| sub_account_allows(c, *kind, action))
        .collect()
}

/// The accounts on which the customer may do `action`: its own (when `own`) and its
/// sub-accounts of the kinds that allow it, as a condition on an account's row (its columns
/// as `col` names them; `None`: no account).
fn allowing(
    c: &CustomerViewer,
    own: bool,
    action: Action,
    col: impl Fn(account::Column) -> SimpleExpr,
) -> Option<Condition> {
    let kinds = kinds_allowing(c, action);
    let mut which = Condition::any();
    if own {
        which = which.add(col(account::Column::Id).eq(c.account.id));
    }
    if !kinds.is_empty() {
        which = which.add(
            Condition::all()
                .add(col(account::Column::MainAccountId).eq(c.account.id))
                .add(col(account::Column::SubAccountType).is_in(kinds)),
        );
    }
    (!which.is_empty()).then_some(which)
}

/// [`allowing`] as one `SELECT id FROM accounts`. One list of ids, found through the
/// accounts' indexes, so that the rows they own are found through theirs: an `owner = me OR
/// owner IN (...)` made PostgreSQL scan a whole table whenever the scope stood alone (a
/// semi-join, a derived record's reference).
fn accounts_allowing(c: &CustomerViewer, own: bool, action: Action) -> Option<SelectStatement> {
    allowing(c, own, action, |k| Expr::col((account::Entity, k))).map(|which| {
        Query::select()
            .column(account::Column::Id)
            .from(account::Entity)
            .cond_where(which)
            .to_owned()
    })
}

/// Rows owned (through `owner`) by an account on which the customer may do `opens`: its
/// own account (where its own rule allows it) or its sub-accounts of the kinds that allow
/// it. The Rust twin: `on_part(c, See, owner, opens)`.
fn owned_by<E: EntityTrait>(c: &CustomerViewer, owner: E::Column, opens: Action) -> Condition
where
    E::Column: IdenStatic,
{
    match accounts_allowing(c, own_allows(c, &c.account, opens), opens) {
        Some(ids) => Condition::all().add(Expr::col((E::default(), owner)).in_subquery(ids)),
        None => none(),
    }
}

/// A table whose rows are seen with the account that owns them ([`owned_by`]; a ticket also
/// by its own flag, [`tickets`]): its scope is a condition on that account (and the flag),
/// so a list of an account's rows read with the account's own row decides it once, on that
/// row ([`Owned::on_owner`]), instead of with a lookup of the account for each of its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owned {
    Services,
    Documents,
    Invoices,
    InternetSessions,
    VoiceCalls,
    Tickets,
}

impl Owned {
    /// What the viewer must be allowed on the owner to see its rows.
    fn opens(self) -> Action {
        match self {
            Self::Services => Action::ViewDetails,
            Self::Documents => Action::ViewDocuments,
            Self::Invoices => Action::ViewBilling,
            Self::InternetSessions => Action::ViewInternetUsage,
            Self::VoiceCalls => Action::ViewVoiceUsage,
            Self::Tickets => Action::ManageTickets,
        }
    }

    /// The table and the column naming a row's owner.
    pub fn owner(self) -> (&'static str, &'static str) {
        fn of<E: EntityTrait>(column: E::Column) -> (&'static str, &'static str)
        where
            E::Column: IdenStatic,
        {
            (E::default().table_name(), column.as_str())
        }
        match self {
            Self::Services => of::<service::Entity>(service::Column::AccountId),
            Self::Documents => of::<document::Entity>(document::Column::AccountId),
            Self::Invoices => of::<invoice::Entity>(invoice::Column::AccountId),
            Self::InternetSessions => {
                of::<internet_session::Entity>(internet_session::Column::AccountId)
            }
            Self::VoiceCalls => of::<voice_call::Entity>(voice_call::Column::AccountId),
            Self::Tickets => of::<ticket::Entity>(ticket::Column::AccountId),
        }
    }

    /// The scope on the rows themselves (the table's function below).
    pub fn rows(self) -> fn(&Viewer) -> Condition {
        match self {
            Self::Services => services,
            Self::Documents => documents,
            Self::Invoices => invoices,
            Self::InternetSessions => internet_sessions,
            Self::VoiceCalls => voice_calls,
            Self::Tickets => tickets,
        }
    }

    /// The same scope for the rows of the account whose row is `owner` (the alias of an
    /// `accounts` row in the statement): all of them or none.
    pub fn on_owner(self, viewer: &Viewer, owner: &'static str) -> Condition {
        scoped(viewer, |c| {
            let opens = self.opens();
            let col = |column: account::Column| Expr::col((owner, column));
            // A ticket's own flag still decides beside its owner ([`tickets`]).
            let own = self == Self::Tickets || own_allows(c, &c.account, opens);
            match allowing(c, own, opens, col) {
                Some(which) if self == Self::Tickets => Condition::all()
                    .add(which)
                    .add(not_hidden(c, col(account::Column::Id))),
                Some(which) => which,
                None => none(),
            }
        })
    }

    fn owned_by<E: EntityTrait>(self, viewer: &Viewer, owner: E::Column) -> Condition
    where
        E::Column: IdenStatic,
    {
        scoped(viewer, |c| owned_by::<E>(c, owner, self.opens()))
    }
}

fn scoped(viewer: &Viewer, customer: impl FnOnce(&CustomerViewer) -> Condition) -> Condition {
    match who(viewer) {
        Who::All => Condition::all(),
        Who::Nobody => none(),
        Who::Customer(c) => customer(c),
    }
}

/// Accounts: its own and its sub-accounts. Twin: `Target::Account`.
pub fn accounts(viewer: &Viewer) -> Condition {
    scoped(viewer, |c| {
        Condition::any()
            .add(Expr::col((account::Entity, account::Column::Id)).eq(c.account.id))
            .add(Expr::col((account::Entity, account::Column::MainAccountId)).eq(c.account.id))
    })
}

/// The sub-accounts of `main` the viewer may see: [`accounts`] for the rows whose main
/// account is `main`, decided once for all of them where the rule allows it. A customer sees
/// every sub-account of its own account, so a page of them needs no condition and reads its
/// index range in order; beside `main_account_id = main`, the accounts scope made PostgreSQL
/// expect one row, read all of a main's sub-accounts and sort them for a page of three.
/// Twin: `Target::Account` of an account whose main is `main`.
pub fn sub_accounts_of(viewer: &Viewer, main: i64) -> Condition {
    match who(viewer) {
        Who::Customer(c) if c.account.id == main => Condition::all(),
        _ => accounts(viewer),
    }
}

/// Services: with the details of their account. Twin: `Target::Service`.
pub fn services(viewer: &Viewer) -> Condition {
    Owned::Services.owned_by::<service::Entity>(viewer, service::Column::AccountId)
}

/// Documents: with `viewDocuments` on their account. Twin: `Target::Document`.
pub fn documents(viewer: &Viewer) -> Condition {
    Owned::Documents.owned_by::<document::Entity>(viewer, document::Column::AccountId)
}

/// Invoices: with `viewBilling` on their payer. Twin: `Target::Invoice`.
pub fn invoices(viewer: &Viewer) -> Condition {
    Owned::Invoices.owned_by::<invoice::Entity>(viewer, invoice::Column::AccountId)
}

/// Recorded Internet sessions: with `viewInternetUsage`. Twin: `Target::InternetSessionOf`.
pub fn internet_sessions(viewer: &Viewer) -> Condition {
    Owned::InternetSessions
        .owned_by::<internet_session::Entity>(viewer, internet_session::Column::AccountId)
}

/// Recorded calls: with `viewVoiceUsage`. Twin: `Target::VoiceCallOf`.
pub fn voice_calls(viewer: &Viewer) -> Condition {
    Owned::VoiceCalls.owned_by::<voice_call::Entity>(viewer, voice_call::Column::AccountId)
}

/// Tickets: its own, and those of the sub-accounts it manages tickets for that they did not
/// hide from it. Twin: `Target::Ticket`.
pub fn tickets(viewer: &Viewer) -> Condition {
    scoped(viewer, |c| {
        // Its own tickets and its sub-accounts' (through one list of account ids, see
        // `accounts_allowing`), but not those a sub-account hid from it.
        let owner = Expr::col((ticket::Entity, ticket::Column::AccountId));
        let Some(ids) = accounts_allowing(c, true, Action::ManageTickets) else {
            return none();
        };
        Condition::all()
            .add(owner.clone().in_subquery(ids))
            .add(not_hidden(c, owner))
    })
}

/// A ticket is not hidden from the customer: its own (`owner`, an expression of the
/// ticket's account's id), or one its sub-account did not hide from it.
fn not_hidden(c: &CustomerViewer, owner: SimpleExpr) -> Condition {
    Condition::any()
        .add(owner.eq(c.account.id))
        .add(Expr::col((ticket::Entity, ticket::Column::HiddenFromMain)).eq(false))
}

/// Orders: those it pays for, those of its own account it placed itself (a sub-account does
/// not see what its main placed for it), and those of the sub-accounts whose orders it may
/// see. Twin: `Target::Order`.
pub fn orders(viewer: &Viewer) -> Condition {
    scoped(viewer, |c| {
        let col = |column: order::Column| Expr::col((order::Entity, column));
        let mut any = Condition::any()
            .add(col(order::Column::PayerId).eq(c.account.id))
            .add(
                Condition::all()
                    .add(col(order::Column::AccountId).eq(c.account.id))
                    .add(col(order::Column::PlacedById).eq(c.account.id)),
            );
        if let Some(subs) = accounts_allowing(c, false, Action::ViewOrders) {
            any = any.add(col(order::Column::AccountId).in_subquery(subs));
        }
        any
    })
}

/// Ticket messages: with their ticket. Twin: `TicketMessage`'s guard (its ticket's).
pub fn ticket_messages(viewer: &Viewer) -> Condition {
    ticket_messages_of(
        viewer,
        Expr::col((ticket_message::Entity, ticket_message::Column::TicketId)),
    )
}

/// [`ticket_messages`] as a condition on their ticket (`ticket`, an expression of its id):
/// a ticket's messages are all seen or none, so a list of them under their tickets decides
/// once per ticket (`db::children::OnParent`), not once per message.
pub fn ticket_messages_of(viewer: &Viewer, ticket: SimpleExpr) -> Condition {
    match who(viewer) {
        Who::All => Condition::all(),
        Who::Nobody => none(),
        Who::Customer(_) => Condition::all().add(exists_visible::<ticket::Entity>(
            ticket::Column::Id,
            ticket,
            tickets(viewer),
        )),
    }
}

/// `column IS NULL OR column IN (SELECT id FROM E WHERE scope)`: a reference a reader may
/// follow, or none.
fn reference<R: EntityTrait, E: EntityTrait>(
    column: R::Column,
    id: E::Column,
    scope: Condition,
) -> Condition
where
    R::Column: IdenStatic,
{
    let col = || Expr::col((R::default(), column));
    Condition::any()
        .add(col().is_null())
        .add(one_of::<R, E>(column, id, scope))
}

/// `EXISTS (SELECT 1 FROM E WHERE E.id = R.column AND scope)`: the row `column` names is one
/// the reader may see. Correlated on the key, so PostgreSQL looks each named row up by its
/// index; `column IN (SELECT id FROM E WHERE scope)` made it list every row the scope allows
/// (a sequential scan of all tickets to show one thread's messages).
fn one_of<R: EntityTrait, E: EntityTrait>(
    column: R::Column,
    id: E::Column,
    scope: Condition,
) -> SimpleExpr
where
    R::Column: IdenStatic,
{
    exists_visible::<E>(id, Expr::col((R::default(), column)), scope)
}

/// `EXISTS (SELECT 1 FROM E WHERE E.id = named AND scope)`: the row of `E` that `named` (an
/// expression of its id) names is one the reader may see.
fn exists_visible<E: EntityTrait>(
    id: E::Column,
    named: SimpleExpr,
    scope: Condition,
) -> SimpleExpr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(E::default())
            .and_where(Expr::col((E::default(), id)).eq(named))
            .cond_where(scope)
            .to_owned(),
    )
}

/// The objects a derived record is about (order, invoice, ticket, service columns): a
/// reader who may not see one of them does not see the record.
fn about<R: EntityTrait>(
    viewer: &Viewer,
    order_id: R::Column,
    invoice_id: R::Column,
    ticket_id: R::Column,
    service_id: R::Column,
) -> Condition
where
    R::Column: IdenStatic,
{
    Condition::all()
        .add(reference::<R, order::Entity>(
            order_id,
            order::Column::Id,
            orders(viewer),
        ))
        .add(reference::<R, invoice::Entity>(
            invoice_id,
            invoice::Column::Id,
            invoices(viewer),
        ))
        .add(reference::<R, ticket::Entity>(
            ticket_id,
            ticket::Column::Id,
            tickets(viewer),
        ))
        .add(reference::<R, service::Entity>(
            service_id,
            service::Column::Id,
            services(viewer),
        ))
}

/// Activity entries: on an account whose history it may read (`viewDetails`), about objects
/// it may see. Twin: `Target::ActivityOf` and `Target::…` of each object.
pub fn activity(viewer: &Viewer) -> Condition {
    match who(viewer) {
        Who::All => Condition::all(),
        Who::Nobody => none(),
        Who::Customer(c) => Condition::all()
            .add(owned_by::<activity::Entity>(
                c,
                activity::Column::AccountId,
                super::READ_ACTIVITY,
            ))
            .add(about::<activity::Entity>(
                viewer,
                activity::Column::OrderId,
                activity::Column::InvoiceId,
                activity::Column::TicketId,
                activity::Column::ServiceId,
            )),
    }
}

/// Notifications: its own, about objects it may see. Twin: `Target::Notification` and
/// `Target::…` of each object.
pub fn notifications(viewer: &Viewer) -> Condition {
    match who(viewer) {
        // Staff have no notifications of their own; they see every row where they list them.
        Who::All => Condition::all(),
        Who::Nobody => none(),
        Who::Customer(c) => Condition::all()
            .add(
                Expr::col((notification::Entity, notification::Column::AccountId)).eq(c.account.id),
            )
            .add(about::<notification::Entity>(
                viewer,
                notification::Column::OrderId,
                notification::Column::InvoiceId,
                notification::Column::TicketId,
                notification::Column::ServiceId,
            )),
    }
}

/// A scope built the first time it is read. A request's loaders each hold the scope of
/// their table, and a request reads only a few of them: building all of them for every
/// request (conditions with subqueries) was a share of the server's CPU of its own.
#[derive(Clone)]
pub struct Deferred(std::sync::Arc<Pending>);

/// A viewer and the scope of a table for it.
type Source = (std::sync::Arc<Viewer>, fn(&Viewer) -> Condition);

struct Pending {
    /// `None`: every row (the rows the guards decide about one by one).
    scope: Option<Source>,
    built: std::sync::OnceLock<Condition>,
}

impl Deferred {
    /// The scope `build` gives `viewer`.
    pub fn of(viewer: &std::sync::Arc<Viewer>, build: fn(&Viewer) -> Condition) -> Self {
        Self::pending(Some((viewer.clone(), build)))
    }

    /// Every row.
    pub fn everything() -> Self {
        Self::pending(None)
    }

    fn pending(scope: Option<Source>) -> Self {
        Self(std::sync::Arc::new(Pending {
            scope,
            built: std::sync::OnceLock::new(),
        }))
    }

    /// The condition (built on the first call).
    pub fn condition(&self) -> Condition {
        let p = &self.0;
        p.built
            .get_or_init(|| match &p.scope {
                Some((viewer, build)) => build(viewer),
                None => Condition::all(),
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nobody_sees_nothing_and_staff_see_everything() {
        assert!(!format!("{:?}", accounts(&Viewer::Anonymous)).is_empty());
        assert!(accounts(&Viewer::System).is_empty());
    }
}
