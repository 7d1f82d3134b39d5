//! A reader of derived records: a viewer and the rows the records name. Every question
//! ("may it see this object?", "may it see this balance?", "how is this actor named to
//! it?") is put to the policy with the rows the rule depends on.

use entity::account;

use super::{Actor, Guard, Ref, Rows};
use crate::{
    auth::Viewer,
    domain::language::Language,
    policy::{self, Action, Target},
};

/// How the server's own work is keyed in the ledger (`Actor::key`).
pub const SYSTEM: &str = "system";

/// The columns of an account a reader reads besides those the policy decides with
/// ([`policy::ACCOUNT_COLUMNS`]): an account read with only these is named and decided as
/// the whole row (`policy::tests::a_reader_names_an_account_from_its_columns_alone`).
pub const NAME_COLUMNS: &[&str] = &["full_name"];

/// Every column of an account a reader reads: the policy's and [`NAME_COLUMNS`].
pub fn account_columns() -> impl Iterator<Item = &'static str> {
    policy::ACCOUNT_COLUMNS.iter().chain(NAME_COLUMNS).copied()
}

/// A viewer reading records in its language, with the rows they name.
#[derive(Clone, Copy)]
pub struct Reader<'a> {
    pub viewer: &'a Viewer,
    pub rows: &'a Rows,
    pub language: Language,
}

impl<'a> Reader<'a> {
    /// A reader of English (the server's work: the CSV export, mail).
    pub fn new(viewer: &'a Viewer, rows: &'a Rows) -> Self {
        Self::in_language(viewer, rows, Language::English)
    }

    /// A reader of `language` (a request's reader).
    pub fn in_language(viewer: &'a Viewer, rows: &'a Rows, language: Language) -> Self {
        Self {
            viewer,
            rows,
            language,
        }
    }

    /// How staff appear to customers: never with a name or an id of their own.
    pub fn staff_to_customers(&self) -> String {
        self.language.pick("ISP staff", "ISP-Team").into()
    }

    fn account(&self, id: i64) -> Option<&'a account::Model> {
        self.rows.accounts.get(&id)
    }

    fn allows(&self, action: Action, target: Target<'_>) -> bool {
        policy::allows(self.viewer, action, target)
    }

    /// Whether the reader may see `object` (a row that is not there is seen by nobody).
    /// Staff are named to everyone, as the reader may know them (see [`Reader::display`]).
    pub fn sees(&self, object: Ref) -> bool {
        let rows = self.rows;
        let see = |target: Target<'_>| self.allows(Action::See, target);
        match object {
            Ref::Account(id) => self.account(id).is_some_and(|a| see(Target::Account(a))),
            Ref::Order(id) => rows.orders.get(&id).is_some_and(|o| {
                self.account(o.account_id)
                    .is_some_and(|a| see(Target::Order(o, a)))
            }),
            Ref::Invoice(id) => rows.invoices.get(&id).is_some_and(|i| {
                self.account(i.account_id)
                    .is_some_and(|a| see(Target::Invoice(i, a)))
            }),
            Ref::Ticket(id) => rows.tickets.get(&id).is_some_and(|t| {
                self.account(t.account_id)
                    .is_some_and(|a| see(Target::Ticket(t, a)))
            }),
            Ref::Service(id) => rows.services.get(&id).is_some_and(|s| {
                self.account(s.account_id)
                    .is_some_and(|a| see(Target::Service(s, a)))
            }),
            Ref::Document(id) => rows.documents.get(&id).is_some_and(|d| {
                self.account(d.account_id)
                    .is_some_and(|a| see(Target::Document(d, a)))
            }),
            Ref::Tariff(id) => rows
                .tariffs
                .get(&id)
                .is_some_and(|t| see(Target::Tariff(t))),
            Ref::Staff(_) => !matches!(self.viewer, Viewer::Anonymous),
        }
    }

    /// Whether the reader may get a fact with this guard.
    pub fn passes(&self, guard: Guard) -> bool {
        match guard {
            Guard::Record => true,
            Guard::Sees(object) => self.sees(object),
            Guard::Balance(id) => self
                .account(id)
                .is_some_and(|a| self.allows(Action::ViewBalance, Target::Account(a))),
            Guard::Billing(id) => self
                .account(id)
                .is_some_and(|a| self.allows(Action::ViewBilling, Target::Account(a))),
        }
    }

    /// How `object` is named to the reader (a number, a subject, a name), if it may see it.
    pub fn display(&self, object: Ref) -> Option<String> {
        if !self.sees(object) {
            return None;
        }
        let rows = self.rows;
        match object {
            Ref::Account(id) => self.account(id).map(|a| a.full_name.clone()),
            Ref::Order(id) => rows.orders.get(&id).map(|o| o.number.clone()),
            Ref::Invoice(id) => rows.invoices.get(&id).map(|i| i.number.clone()),
            Ref::Ticket(id) => rows.tickets.get(&id).map(|t| t.subject.clone()),
            Ref::Service(id) => rows.services.get(&id).map(|s| s.description.clone()),
            Ref::Document(id) => rows.documents.get(&id).map(|d| d.title.clone()),
            Ref::Tariff(id) => rows.tariffs.get(&id).map(|t| t.name.clone()),
            Ref::Staff(id) if self.viewer.is_admin() => Some(
                rows.staff
                    .get(&id)
                    .map_or_else(|| "staff".into(), |s| s.full_name.clone()),
            ),
            Ref::Staff(_) => Some(self.staff_to_customers()),
        }
    }

    /// How an account is named to the reader: its name where the reader may see it, else
    /// "your main account" for the reader's main account, else "another account".
    pub fn account_name(&self, id: i64) -> String {
        if let Some(name) = self.display(Ref::Account(id)) {
            return name;
        }
        let mine = self.viewer.account().and_then(|a| a.main_account_id);
        if mine == Some(id) {
            self.language
                .pick("your main account", "Ihr Hauptkonto")
                .into()
        } else {
            self.language
                .pick("another account", "ein anderes Konto")
                .into()
        }
    }

    /// How an actor is named to the reader: an account as [`Reader::account_name`] says,
    /// staff as "ISP staff" to customers (their name to staff), the server as "system".
    pub fn actor(&self, actor: Option<Actor>) -> String {
        match actor {
            Some(Actor::Account(id)) => self.account_name(id),
            Some(Actor::Staff(id)) => self
                .display(Ref::Staff(id))
                .unwrap_or_else(|| self.staff_to_customers()),
            Some(Actor::System) => self.language.pick(SYSTEM, "System").into(),
            None => self.language.pick("unknown", "unbekannt").into(),
        }
    }
}
