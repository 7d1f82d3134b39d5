//! What a notification says, told to its recipient when it is read: each [`Template`] is a
//! sentence whose blanks are the notification's facts as the recipient may read them now
//! (an order's number, a sub-account's name, an amount), asked of the policy through a
//! [`Reader`]. A blank the recipient may not fill is told around ("your main account", or
//! the sentence without it).

use entity::{enums::NotificationKind, notification};

use crate::domain::record::{About, Reader, Record, Ref};

/// The fact that names a notification's template.
pub(super) const TEMPLATE: &str = "template";

crate::domain::named_enum! {
    /// The sentences notifications are told in.
    pub enum Template {
    /// To a main account: its sub-account asks it to approve an order.
    SubAccountOrdered = "sub_account_ordered",
    /// To a sub-account: its main account rejected its order.
    OrderRejected = "order_rejected",
    /// To a sub-account: its main account approved and paid its order.
    OrderPaid = "order_paid",
    /// To a sub-account: its main account ordered services for it.
    ServicesOrdered = "services_ordered",
    /// To the order's account: a waiting order was called off.
    OrderCalledOff = "order_called_off",
    /// To the main account: a sub-account's waiting order was called off.
    SubAccountOrderCalledOff = "sub_account_order_called_off",
    /// To a sub-account: its order expired without an answer.
    OrderExpired = "order_expired",
    /// To a main account: a sub-account's order expired without an answer.
    SubAccountOrderExpired = "sub_account_order_expired",
    /// To a main account: a sub-account's order expires within a day.
    SubAccountOrderExpiring = "sub_account_order_expiring",
    /// A service ordered for the account was approved with a start date.
    ServiceStarts = "service_starts",
    /// A service ordered for the account will not be provided.
    ServiceNotProvided = "service_not_provided",
    /// A recurring invoice was issued.
    InvoiceIssued = "invoice_issued",
    /// Staff disabled a service.
    ServiceDisabled = "service_disabled",
    /// Staff enabled a disabled service again.
    ServiceEnabled = "service_enabled",
    /// Staff set the day a service ends.
    ServiceEndScheduled = "service_end_scheduled",
    /// A service ended.
    ServiceEnded = "service_ended",
    /// Staff replied to a ticket.
    SupportReplied = "support_replied",
    /// Staff moved a ticket to another status.
    TicketStatus = "ticket_status",
    /// The recipient moved money to another account's balance.
    BalanceSent = "balance_sent",
    /// Money was moved to the recipient's balance.
    BalanceReceived = "balance_received",
    }
}

impl Template {
    /// A notification's template: named in its facts, or (older notifications) its kind's.
    fn of(n: &notification::Model, record: &Record) -> Template {
        record
            .get(TEMPLATE)
            .and_then(|f| f.value.as_ref())
            .and_then(|v| v.as_str())
            .and_then(Template::named)
            .unwrap_or(match n.kind {
                NotificationKind::SubAccountOrderPlaced => Template::SubAccountOrdered,
                NotificationKind::OrderRejected => Template::OrderRejected,
                NotificationKind::OrderPaid => Template::OrderPaid,
                NotificationKind::ServiceRequestApproved => Template::ServiceStarts,
                NotificationKind::ServiceRequestRejected => Template::ServiceNotProvided,
                NotificationKind::TicketUpdated => Template::SupportReplied,
                NotificationKind::InvoiceIssued => Template::InvoiceIssued,
                NotificationKind::ServicesOrdered => Template::ServicesOrdered,
                NotificationKind::OrderCancelled => Template::OrderCalledOff,
                NotificationKind::ServiceStatusChanged => Template::ServiceDisabled,
                NotificationKind::OrderExpiring => Template::SubAccountOrderExpiring,
                NotificationKind::OrderExpired => Template::OrderExpired,
                NotificationKind::BalanceTransferred => Template::BalanceReceived,
            })
    }
}

/// A notification as stored: its objects and facts.
pub fn record_of(n: &notification::Model) -> Record {
    Record::read(
        About {
            order: n.order_id,
            invoice: n.invoice_id,
            ticket: n.ticket_id,
            service: n.service_id,
        },
        &n.facts,
    )
}

/// Every object a notification names, for loading what its reader needs.
pub fn refs_of(n: &notification::Model) -> Vec<Ref> {
    let mut refs: Vec<Ref> = record_of(n).refs().collect();
    refs.push(Ref::Account(n.account_id));
    refs
}

/// The blanks of one notification as its reader may fill them.
struct Blanks<'a> {
    record: Record,
    reader: &'a Reader<'a>,
}

impl Blanks<'_> {
    fn text(&self, name: &str) -> Option<String> {
        self.record.text(self.reader, name)
    }

    /// `" name"`-style pieces: the blank with a leading space, or nothing.
    fn spaced(&self, name: &str) -> String {
        self.text(name).map(|t| format!(" {t}")).unwrap_or_default()
    }

    /// An amount with its currency (`"12.50 EUR"`), if the reader may read it.
    fn money(&self, name: &str) -> Option<String> {
        let amount = self.text(name)?;
        Some(match self.text("currency") {
            Some(c) => format!("{amount} {c}"),
            None => amount,
        })
    }

    /// The same in parentheses (`" (12.50 EUR)"`), or nothing.
    fn amount(&self, name: &str) -> String {
        self.money(name)
            .map(|m| format!(" ({m})"))
            .unwrap_or_default()
    }

    /// How the account a fact names is called to the reader ("your main account" if it
    /// may not see it and it is its main).
    fn account(&self, name: &str) -> String {
        self.record
            .get(name)
            .and_then(|f| f.names)
            .map(|r| match r {
                Ref::Account(id) => self.reader.account_name(id),
                _ => String::new(),
            })
            .unwrap_or_else(|| "a sub-account".into())
    }
}

/// The sentence of notification `n`, told to `reader` (its recipient, with the rows
/// [`refs_of`] names).
pub fn message(reader: &Reader<'_>, n: &notification::Model) -> String {
    let record = record_of(n);
    let template = Template::of(n, &record);
    let b = Blanks { record, reader };
    let order = b.spaced("order");
    match template {
        Template::SubAccountOrdered => format!(
            "{} placed order{order}{}; approve or reject it under Manage orders.",
            b.account("subAccount"),
            b.amount("total")
        ),
        Template::OrderRejected => match b.text("reason") {
            Some(reason) => format!("Order{order} was rejected: {reason}"),
            None => format!("Order{order} was rejected."),
        },
        Template::OrderPaid => format!("Your order{order} was approved and paid."),
        Template::ServicesOrdered => match b.text("services") {
            Some(list) => format!(
                "New services were ordered for you: {list}. They start on the date your provider confirms."
            ),
            None => "New services were ordered for you.".into(),
        },
        Template::OrderCalledOff => format!(
            "Order{order} was called off{}. Nothing was charged.",
            b.text("reason")
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        ),
        Template::SubAccountOrderCalledOff => format!(
            "Order{order} of {} was called off{}.",
            b.account("subAccount"),
            b.text("reason")
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        ),
        Template::OrderExpired => format!(
            "Your order{order}{} expired: your main account did not answer in time. Nothing was charged.",
            b.amount("total")
        ),
        Template::SubAccountOrderExpired => format!(
            "The order{order}{} of {} expired without an answer; nothing was charged.",
            b.amount("total"),
            b.account("subAccount")
        ),
        Template::SubAccountOrderExpiring => format!(
            "The order{order}{} of {} expires{}: approve or reject it under Manage orders.",
            b.amount("total"),
            b.account("subAccount"),
            b.text("expires")
                .map(|d| format!(" on {d}"))
                .unwrap_or_default()
        ),
        Template::ServiceStarts => format!(
            "{} starts{}.",
            b.text("tariff")
                .unwrap_or_else(|| "Your new service".into()),
            b.text("startDate")
                .map(|d| format!(" on {d}"))
                .unwrap_or_default()
        ),
        Template::ServiceNotProvided => format!(
            "{}{} will not be provided{}",
            b.text("tariff").unwrap_or_else(|| "A service".into()),
            b.text("order")
                .map(|o| format!(" of order {o}"))
                .unwrap_or_default(),
            b.text("reason")
                .map(|r| format!(": {r}"))
                .unwrap_or_else(|| ".".into())
        ),
        Template::InvoiceIssued => {
            let invoice = b.spaced("invoice");
            let period = b
                .text("period")
                .map(|p| format!(" for {p}"))
                .unwrap_or_default();
            let total = b
                .money("total")
                .map(|m| format!(": {m}"))
                .unwrap_or_default();
            let paid = match b.text("status").as_deref() {
                Some("PAID") => ", charged to your balance",
                Some(_) => ", unpaid: your prepaid balance does not cover it",
                None => "",
            };
            format!("Invoice{invoice}{period}{total}{paid}.")
        }
        Template::ServiceDisabled => format!(
            "Your service{} is disabled{}; it is not billed while disabled.",
            b.spaced("service"),
            b.text("from")
                .map(|d| format!(" from {d}"))
                .unwrap_or_default()
        ),
        Template::ServiceEnabled => format!(
            "Your service{} is enabled again{}.",
            b.spaced("service"),
            b.text("on")
                .map(|d| format!(" from {d}"))
                .unwrap_or_default()
        ),
        Template::ServiceEndScheduled => format!(
            "Your service{} ends{}.",
            b.spaced("service"),
            b.text("endDate")
                .map(|d| format!(" on {d}"))
                .unwrap_or_default()
        ),
        Template::ServiceEnded => format!(
            "Your service{} ended{}.",
            b.spaced("service"),
            b.text("endDate")
                .map(|d| format!(" on {d}"))
                .unwrap_or_default()
        ),
        Template::SupportReplied => with_owner(
            &b,
            n,
            format!(
                "Support replied to{}.",
                b.text("ticket")
                    .map(|t| format!(" \"{t}\""))
                    .unwrap_or_else(|| " your ticket".into())
            ),
        ),
        Template::TicketStatus => with_owner(
            &b,
            n,
            format!(
                "The ticket{} is {}.",
                b.text("ticket")
                    .map(|t| format!(" \"{t}\""))
                    .unwrap_or_default(),
                b.text("status")
                    .map(|s| status_words(&s))
                    .unwrap_or("updated")
            ),
        ),
        Template::BalanceSent => format!(
            "You moved {} to the balance of {}.",
            b.money("amount").unwrap_or_else(|| "money".into()),
            b.account("to")
        ),
        Template::BalanceReceived => format!(
            "{} moved {} to your balance.",
            capitalized(&b.account("from")),
            b.money("amount").unwrap_or_else(|| "money".into())
        ),
    }
}

/// A ticket sentence for the ticket's own account, or prefixed with the account's name for
/// its main account.
fn with_owner(b: &Blanks<'_>, n: &notification::Model, sentence: String) -> String {
    match b.record.get("account").and_then(|f| f.names) {
        Some(Ref::Account(owner)) if owner != n.account_id => {
            format!("{}: {sentence}", b.reader.account_name(owner))
        }
        _ => sentence,
    }
}

/// A ticket status in words.
fn status_words(status: &str) -> &'static str {
    match status {
        "NEW" => "new",
        "IN_PROGRESS" => "in progress",
        "WAITING_ON_CUSTOMER" => "waiting for your reply",
        "WAITING_ON_AGENT" => "waiting for support",
        "RESOLVED" => "resolved",
        _ => "updated",
    }
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_is_found_by_its_name() {
        for t in Template::ALL {
            assert_eq!(Template::named(t.as_str()), Some(*t));
        }
    }
}
