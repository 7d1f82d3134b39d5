//! Derived records (activity entries, notifications, ticket message authors, order failure
//! reasons) are references and facts, rendered per reader. What is stored is what happened,
//! who did it ([`Actor`]), the objects it is about ([`About`]) and its [`Fact`]s, each with
//! the object whose data it is ([`Guard`]). What a reader gets (names, numbers, amounts, the
//! actor) is worked out when it is read, by a [`Reader`] that asks the policy about each
//! object; nothing is text written once for one audience.
//!
//! A reader who may not see an object a record is about does not get the record at all
//! (the lists filter it in SQL with the policy's scopes); a fact about another object is left
//! out for a reader who may not see that object.

mod reader;
mod rows;

pub use reader::{NAME_COLUMNS, Reader, account_columns};
pub use rows::{Rows, Wanted};

use entity::enums::ActorKind;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{auth::Viewer, money::Money};

/// Who did something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Actor {
    Staff(i64),
    Account(i64),
    /// The server itself: scheduled jobs, the command line.
    System,
}

impl Actor {
    /// The actor a viewer's changes are credited to (none for anonymous callers).
    pub fn of(viewer: &Viewer) -> Option<Actor> {
        match viewer {
            Viewer::Admin(staff) => Some(Actor::Staff(staff.id)),
            Viewer::Customer(c) => Some(Actor::Account(c.account.id)),
            Viewer::System => Some(Actor::System),
            Viewer::Anonymous => None,
        }
    }

    /// As the columns keep it: kind and id.
    pub fn columns(actor: Option<Actor>) -> (Option<ActorKind>, Option<i64>) {
        match actor {
            Some(Actor::Staff(id)) => (Some(ActorKind::Staff), Some(id)),
            Some(Actor::Account(id)) => (Some(ActorKind::Account), Some(id)),
            Some(Actor::System) => (Some(ActorKind::System), None),
            None => (None, None),
        }
    }

    /// From the columns.
    pub fn from_columns(kind: Option<ActorKind>, id: Option<i64>) -> Option<Actor> {
        match (kind?, id) {
            (ActorKind::Staff, Some(id)) => Some(Actor::Staff(id)),
            (ActorKind::Account, Some(id)) => Some(Actor::Account(id)),
            (ActorKind::System, _) => Some(Actor::System),
            _ => None,
        }
    }

    /// The account that acted, if an account holder did.
    pub fn account(self) -> Option<i64> {
        match self {
            Actor::Account(id) => Some(id),
            _ => None,
        }
    }

    /// The actor as the ledger's `actor` column keeps it (`account:7`, `staff:2`, `system`).
    pub fn key(actor: Option<Actor>) -> String {
        match actor {
            Some(Actor::Staff(id)) => crate::auth::Subject::Staff(id).encode(),
            Some(Actor::Account(id)) => crate::auth::Subject::Account(id).encode(),
            Some(Actor::System) => reader::SYSTEM.into(),
            None => "anonymous".into(),
        }
    }
}

/// An object a record names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Ref {
    Account(i64),
    Order(i64),
    Invoice(i64),
    Ticket(i64),
    Service(i64),
    Document(i64),
    Tariff(i64),
    Staff(i64),
}

/// Whose data a fact is: what a reader must be allowed to get it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum Guard {
    /// The record's own: shown whenever the record is (its objects are seen).
    #[default]
    Record,
    /// Data of this object: shown to a reader who may see it.
    Sees(Ref),
    /// A figure of this account's balance: shown with `viewBalance` on it.
    Balance(i64),
    /// This account's billing (a payment's details): shown with `viewBilling` on it.
    Billing(i64),
}

impl Guard {
    fn is_record(&self) -> bool {
        *self == Guard::Record
    }
}

/// One fact of a record: a value, a change (before and after), or an object named by its
/// display (an order's number, a ticket's subject, an account's name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fact {
    pub name: String,
    #[serde(default, skip_serializing_if = "Guard::is_record")]
    pub guard: Guard,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub before: Option<Value>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub after: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub names: Option<Ref>,
    /// A change from one object to another (an assignee), each named by its display.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub names_before: Option<Ref>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub names_after: Option<Ref>,
}

/// A value that is there, `null` included (a change from nothing to something keeps its
/// `null`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// The objects a record is about, kept in its own columns so that lists filter it in SQL
/// with the policy's scopes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct About {
    pub order: Option<i64>,
    pub invoice: Option<i64>,
    pub ticket: Option<i64>,
    pub service: Option<i64>,
}

impl About {
    /// Whether `reader` may see every object the record is about: the Rust twin of the
    /// scopes' condition on these columns (`policy::scope`).
    pub fn seen_by(&self, reader: &Reader<'_>) -> bool {
        self.refs().all(|r| reader.sees(r))
    }

    /// The objects, as references.
    pub fn refs(&self) -> impl Iterator<Item = Ref> {
        [
            self.order.map(Ref::Order),
            self.invoice.map(Ref::Invoice),
            self.ticket.map(Ref::Ticket),
            self.service.map(Ref::Service),
        ]
        .into_iter()
        .flatten()
    }
}

/// What a record says: the objects it is about and its facts. Built by the workflows, stored
/// as references and facts, rendered by a [`Reader`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    pub about: About,
    pub facts: Vec<Fact>,
}

#[derive(Serialize, Deserialize, Default)]
struct Stored {
    #[serde(default)]
    facts: Vec<Fact>,
}

impl Record {
    /// A record about `object` (an order, invoice, ticket or service; other objects are
    /// named by a fact instead).
    pub fn on(object: Ref) -> Self {
        Self::default().and_on(object)
    }

    /// Also about `object`.
    pub fn and_on(mut self, object: Ref) -> Self {
        match object {
            Ref::Order(id) => self.about.order = Some(id),
            Ref::Invoice(id) => self.about.invoice = Some(id),
            Ref::Ticket(id) => self.about.ticket = Some(id),
            Ref::Service(id) => self.about.service = Some(id),
            other => return self.names(name_of_ref(other), other),
        }
        self
    }

    fn push(mut self, fact: Fact) -> Self {
        self.facts.push(fact);
        self
    }

    fn fact(name: &str, guard: Guard) -> Fact {
        Fact {
            name: name.to_string(),
            guard,
            value: None,
            before: None,
            after: None,
            names: None,
            names_before: None,
            names_after: None,
        }
    }

    /// A value of the record itself (a status, a priority, a type).
    pub fn value(self, name: &str, value: impl Into<Value>) -> Self {
        self.guarded(name, Guard::Record, value)
    }

    /// A value that is data of another object.
    pub fn guarded(self, name: &str, guard: Guard, value: impl Into<Value>) -> Self {
        self.push(Fact {
            value: Some(value.into()),
            ..Self::fact(name, guard)
        })
    }

    /// A change of the record's own object (a status from … to …).
    pub fn change(self, name: &str, before: impl Into<Value>, after: impl Into<Value>) -> Self {
        self.guarded_change(name, Guard::Record, before, after)
    }

    /// A change of another object's data.
    pub fn guarded_change(
        self,
        name: &str,
        guard: Guard,
        before: impl Into<Value>,
        after: impl Into<Value>,
    ) -> Self {
        self.push(Fact {
            before: Some(before.into()),
            after: Some(after.into()),
            ..Self::fact(name, guard)
        })
    }

    /// An amount that is data of `object` (an order's total).
    pub fn amount(self, name: &str, object: Ref, amount: Money) -> Self {
        self.guarded(name, Guard::Sees(object), amount.to_string())
    }

    /// An account's balance before and after: shown with `viewBalance` on it.
    pub fn balance(self, account: i64, before: Money, after: Money) -> Self {
        self.guarded_change(
            "balance",
            Guard::Balance(account),
            before.to_string(),
            after.to_string(),
        )
    }

    /// An amount that moved an account's balance: shown with `viewBalance` on it.
    pub fn balance_amount(self, name: &str, account: i64, amount: Money) -> Self {
        self.guarded(name, Guard::Balance(account), amount.to_string())
    }

    /// A change from one object to another (either may be none), each named by its display
    /// to a reader who may see it.
    pub fn change_names(self, name: &str, before: Option<Ref>, after: Option<Ref>) -> Self {
        self.push(Fact {
            names_before: before,
            names_after: after,
            ..Self::fact(name, Guard::Record)
        })
    }

    /// An object named by its display (number, subject, name) for readers who may see it.
    pub fn names(self, name: &str, object: Ref) -> Self {
        self.push(Fact {
            names: Some(object),
            ..Self::fact(name, Guard::Sees(object))
        })
    }

    /// The facts as stored (JSON text).
    pub fn facts_json(&self) -> String {
        serde_json::to_string(&Stored {
            facts: self.facts.clone(),
        })
        .unwrap_or_else(|_| "{}".into())
    }

    /// A record read back: its objects and stored facts (unknown or damaged text has none).
    pub fn read(about: About, facts_json: &str) -> Self {
        let stored: Stored = serde_json::from_str(facts_json).unwrap_or_default();
        Self {
            about,
            facts: stored.facts,
        }
    }

    /// Every object the record names (its objects, its facts' objects and guards), for
    /// loading what a reader needs.
    pub fn refs(&self) -> impl Iterator<Item = Ref> + '_ {
        self.about.refs().chain(self.facts.iter().flat_map(|f| {
            let guard = match f.guard {
                Guard::Sees(r) => Some(r),
                Guard::Balance(a) | Guard::Billing(a) => Some(Ref::Account(a)),
                Guard::Record => None,
            };
            [guard, f.names, f.names_before, f.names_after]
                .into_iter()
                .flatten()
        }))
    }

    /// The fact named `name`, if there is one.
    pub fn get(&self, name: &str) -> Option<&Fact> {
        self.facts.iter().find(|f| f.name == name)
    }

    /// The record's facts as `reader` may get them: `{name: value, …, "before": {…},
    /// "after": {…}}`, without what it may not see.
    pub fn show(&self, reader: &Reader<'_>) -> Value {
        let mut out = serde_json::Map::new();
        let mut before = serde_json::Map::new();
        let mut after = serde_json::Map::new();
        for fact in self.facts.iter().filter(|f| reader.passes(f.guard)) {
            if let Some(object) = fact.names {
                if let Some(display) = reader.display(object) {
                    out.insert(fact.name.clone(), Value::String(display));
                }
                continue;
            }
            if let Some(value) = &fact.value {
                out.insert(fact.name.clone(), value.clone());
            }
            if let (Some(b), Some(a)) = (&fact.before, &fact.after) {
                before.insert(fact.name.clone(), b.clone());
                after.insert(fact.name.clone(), a.clone());
            }
            if fact.names_before.is_some() || fact.names_after.is_some() {
                let shown = |r: Option<Ref>| {
                    r.and_then(|r| reader.display(r))
                        .map_or(Value::Null, Value::String)
                };
                before.insert(fact.name.clone(), shown(fact.names_before));
                after.insert(fact.name.clone(), shown(fact.names_after));
            }
        }
        if !before.is_empty() {
            out.insert("before".into(), Value::Object(before));
            out.insert("after".into(), Value::Object(after));
        }
        Value::Object(out)
    }

    /// A fact's value as text for `reader` (an object's display, a plain value, or what a
    /// change changed it to), if it has one and the reader may get it.
    pub fn text(&self, reader: &Reader<'_>, name: &str) -> Option<String> {
        let fact = self.get(name).filter(|f| reader.passes(f.guard))?;
        if let Some(object) = fact.names {
            return reader.display(object);
        }
        match fact.value.as_ref().or(fact.after.as_ref())? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        }
    }
}

/// The fact name an object is named under when a record is "on" it but has no column for it.
fn name_of_ref(object: Ref) -> &'static str {
    match object {
        Ref::Account(_) => "account",
        Ref::Order(_) => "order",
        Ref::Invoice(_) => "invoice",
        Ref::Ticket(_) => "ticket",
        Ref::Service(_) => "service",
        Ref::Document(_) => "document",
        Ref::Tariff(_) => "tariff",
        Ref::Staff(_) => "staff",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_survives_its_storage() {
        let record = Record::on(Ref::Order(7))
            .change("status", "AWAITING_MAIN_APPROVAL", "PAID")
            .amount("total", Ref::Order(7), Money::from_minor(123_400))
            .balance(3, Money::from_minor(1_000_000), Money::from_minor(876_600))
            .names("invoice", Ref::Invoice(9));
        let back = Record::read(record.about, &record.facts_json());
        assert_eq!(back, record);
        let refs: Vec<Ref> = back.refs().collect();
        assert!(refs.contains(&Ref::Order(7)));
        assert!(refs.contains(&Ref::Account(3)));
        assert!(refs.contains(&Ref::Invoice(9)));
    }

    #[test]
    fn damaged_facts_read_as_none() {
        assert!(Record::read(About::default(), "not json").facts.is_empty());
    }

    #[test]
    fn an_actor_survives_its_columns() {
        for actor in [Actor::Staff(2), Actor::Account(7), Actor::System] {
            let (kind, id) = Actor::columns(Some(actor));
            assert_eq!(Actor::from_columns(kind, id), Some(actor));
        }
        assert_eq!(Actor::from_columns(None, Some(3)), None);
    }
}
