//! The tenants the permission walks run against: one per column of SPEC.md's table (the
//! link, the switches, who looks), each with a sub-account and a main account and, hanging
//! off them, every kind of object (services, documents, tickets, orders of each path,
//! invoices, notifications), and what SPEC.md says each viewer may do with them.

mod build;
pub use build::*;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::{helpers::TestApp, walk::Outcome};

/// Who is looking at what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Party {
    /// The sub-account (a standalone account in the standalone column).
    Sub,
    /// Its main account (unrelated to it in the standalone column).
    Main,
    /// An account of another partner.
    Stranger,
}

/// One column of the table: the link, the switches, and who looks.
pub struct Column {
    pub name: &'static str,
    pub viewer: Party,
    /// `AGGREGATED`, `INDEPENDENT`, or no link.
    pub link: Option<&'static str>,
    pub management: bool,
    pub independent_access: bool,
    pub sub_accounts_can_order: bool,
}

pub const COLUMNS: &[Column] = &[
    Column {
        name: "own aggregated sub-account (ordering allowed, main manages)",
        viewer: Party::Sub,
        link: Some("AGGREGATED"),
        management: true,
        independent_access: false,
        sub_accounts_can_order: true,
    },
    Column {
        name: "own aggregated sub-account, partner does not let it order",
        viewer: Party::Sub,
        link: Some("AGGREGATED"),
        management: true,
        independent_access: false,
        sub_accounts_can_order: false,
    },
    Column {
        name: "own aggregated sub-account, main without management",
        viewer: Party::Sub,
        link: Some("AGGREGATED"),
        management: false,
        independent_access: false,
        sub_accounts_can_order: true,
    },
    Column {
        name: "own independent sub-account",
        viewer: Party::Sub,
        link: Some("INDEPENDENT"),
        management: true,
        independent_access: true,
        sub_accounts_can_order: false,
    },
    Column {
        name: "own standalone account",
        viewer: Party::Sub,
        link: None,
        management: false,
        independent_access: false,
        sub_accounts_can_order: false,
    },
    Column {
        name: "main with management off, aggregated sub",
        viewer: Party::Main,
        link: Some("AGGREGATED"),
        management: false,
        independent_access: true,
        sub_accounts_can_order: true,
    },
    Column {
        name: "main with management off, independent sub (access on)",
        viewer: Party::Main,
        link: Some("INDEPENDENT"),
        management: false,
        independent_access: true,
        sub_accounts_can_order: true,
    },
    Column {
        name: "main managing an aggregated sub",
        viewer: Party::Main,
        link: Some("AGGREGATED"),
        management: true,
        independent_access: false,
        sub_accounts_can_order: true,
    },
    Column {
        name: "main managing, independent sub, independent access off",
        viewer: Party::Main,
        link: Some("INDEPENDENT"),
        management: true,
        independent_access: false,
        sub_accounts_can_order: true,
    },
    Column {
        name: "main with independent access, independent sub",
        viewer: Party::Main,
        link: Some("INDEPENDENT"),
        management: true,
        independent_access: true,
        sub_accounts_can_order: true,
    },
    Column {
        name: "another tenant",
        viewer: Party::Stranger,
        link: Some("AGGREGATED"),
        management: true,
        independent_access: true,
        sub_accounts_can_order: true,
    },
];

/// Every permission `Account.capabilities` reports that an account has on itself too, as
/// SPEC.md's table grants them (a main account's controls over its sub-accounts,
/// `setSpendingControls` and `transferBalance`, are added where they apply).
pub const EVERYTHING: &[&str] = &[
    "viewDetails",
    "order",
    "pauseServices",
    "changeServices",
    "viewInternetUsage",
    "viewVoiceUsage",
    "viewDocuments",
    "manageTickets",
    "manageOrders",
    "viewOrders",
    "viewBalance",
    "viewBilling",
    "hideTicketsFromMain",
];
/// What a main account with independent access may do with an independent sub-account.
pub const INDEPENDENT: &[&str] = &[
    "viewDetails",
    "pauseServices",
    "viewInternetUsage",
    "viewDocuments",
    "manageTickets",
];

pub fn except(out: &[&str]) -> BTreeSet<&'static str> {
    EVERYTHING
        .iter()
        .copied()
        .filter(|p| !out.contains(p))
        .collect()
}

/// SPEC.md: what `viewer` may do with `target`'s account in this column; `None` when it
/// may not see it at all.
pub fn spec(c: &Column, viewer: Party, target: Party) -> Option<BTreeSet<&'static str>> {
    match (viewer, target, c.link) {
        (Party::Stranger, Party::Stranger, _) => {
            Some(except(&["manageOrders", "hideTicketsFromMain"]))
        }
        (Party::Stranger, _, _) | (_, Party::Stranger, _) => None,
        // A sub-account never reaches its main account; unlinked accounts are strangers.
        (Party::Sub, Party::Main, _) | (_, _, None) if viewer != target => None,
        (Party::Main, Party::Main, _) => Some(except(&["manageOrders", "hideTicketsFromMain"])),
        (Party::Sub, Party::Sub, None) => Some(except(&["manageOrders", "hideTicketsFromMain"])),
        (Party::Sub, Party::Sub, Some(link)) => {
            let asks_main = link == "AGGREGATED";
            let can_ask = c.sub_accounts_can_order && c.management;
            // An aggregated sub-account has no billing of its own: its main pays.
            match (asks_main, can_ask) {
                (true, false) => Some(except(&["manageOrders", "order", "viewBilling"])),
                (true, true) => Some(except(&["manageOrders", "viewBilling"])),
                (false, _) => Some(except(&["manageOrders"])),
            }
        }
        (Party::Main, Party::Sub, Some(link)) => Some(match (c.management, link) {
            (false, _) => BTreeSet::new(),
            (true, "AGGREGATED") => {
                let mut g = except(&["hideTicketsFromMain"]);
                g.insert("setSpendingControls");
                g
            }
            (true, _) if c.independent_access => INDEPENDENT
                .iter()
                .copied()
                .chain(["transferBalance"])
                .collect(),
            (true, _) => BTreeSet::new(),
        }),
        _ => None,
    }
}

/// What hangs off an account, with what its rule depends on.
#[derive(Debug, Clone)]
pub enum Object {
    Service {
        owner: Party,
    },
    Document {
        owner: Party,
    },
    Ticket {
        owner: Party,
        hidden: bool,
    },
    Order {
        account: Party,
        placed_by: Party,
        payer: Party,
    },
    Invoice {
        payer: Party,
    },
    /// A notification, with the objects it is about: shown to its recipient while it may
    /// see them.
    Notification {
        recipient: Party,
        about: Vec<Object>,
    },
}

impl Object {
    pub fn type_name(&self) -> &'static str {
        match self {
            Object::Service { .. } => "Service",
            Object::Document { .. } => "Document",
            Object::Ticket { .. } => "Ticket",
            Object::Order { .. } => "Order",
            Object::Invoice { .. } => "Invoice",
            Object::Notification { .. } => "Notification",
        }
    }

    /// The answer SPEC.md gives `viewer`, from the permissions it has on the accounts.
    pub fn expected(
        &self,
        viewer: Party,
        grants: &BTreeMap<Party, Option<BTreeSet<&'static str>>>,
    ) -> Outcome {
        let opened_with = |owner: &Party, permission: &str| match &grants[owner] {
            None => Outcome::NotFound,
            Some(g) if g.contains(permission) => Outcome::Data,
            Some(_) => Outcome::Forbidden(permission.to_string()),
        };
        match self {
            Object::Service { owner } => opened_with(owner, "viewDetails"),
            Object::Document { owner } => opened_with(owner, "viewDocuments"),
            Object::Ticket { owner, hidden } => {
                if *hidden && viewer != *owner && grants[owner].is_some() {
                    Outcome::NotFound
                } else {
                    opened_with(owner, "manageTickets")
                }
            }
            Object::Order {
                account,
                placed_by,
                payer,
            } => {
                if viewer == *payer {
                    Outcome::Data
                } else if viewer == *account {
                    if viewer == *placed_by {
                        Outcome::Data
                    } else {
                        Outcome::NotFound
                    }
                } else {
                    opened_with(account, "viewOrders")
                }
            }
            Object::Invoice { payer } => opened_with(payer, "viewBilling"),
            Object::Notification { recipient, about } => {
                let seen = about
                    .iter()
                    .all(|o| o.expected(viewer, grants) == Outcome::Data);
                if viewer == *recipient && seen {
                    Outcome::Data
                } else {
                    Outcome::NotFound
                }
            }
        }
    }
}

/// One column's accounts and what hangs off them.
pub struct Tenant {
    pub accounts: BTreeMap<Party, String>,
    pub tokens: BTreeMap<Party, String>,
    pub services: BTreeMap<Party, String>,
    pub tickets: BTreeMap<Party, String>,
    /// Orders the sub-account placed itself (waiting for its main when aggregated).
    pub own_orders: BTreeMap<Party, Vec<String>>,
    pub objects: Vec<(String, Object)>,
}
