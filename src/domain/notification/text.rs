//! What a notification says, told to its recipient when it is read: each [`Template`] is a
//! sentence whose blanks are the notification's facts as the recipient may read them now
//! (an order's number, a sub-account's name, an amount), asked of the policy through a
//! [`Reader`]. A blank the recipient may not fill is told around ("your main account", or
//! the sentence without it). Each sentence is told in the reader's language, English or
//! German, from the same blanks.

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

/// The blanks of one notification as its reader may fill them, in its language.
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
        self.after(name, " ")
    }

    /// A sentence in the reader's language, its `{{blanks}}` filled from `values`.
    fn say(&self, english: &str, german: &str, values: &[(&str, String)]) -> String {
        super::render(self.reader.language.pick(english, german), values)
    }

    /// The blank after `prefix` (`": reason"`), or nothing.
    fn after(&self, name: &str, prefix: &str) -> String {
        self.text(name)
            .map(|t| format!("{prefix}{t}"))
            .unwrap_or_default()
    }

    /// A day after `prefix` (`" on 2026-12-06"`, `" am 6.12.2026"`), or nothing.
    fn day_after(&self, name: &str, prefix: &str) -> String {
        self.day(name)
            .map(|d| format!("{prefix}{d}"))
            .unwrap_or_default()
    }

    /// A ticket status in the reader's words.
    fn ticket_status(&self) -> &'static str {
        let pick = |en, de| self.reader.language.pick(en, de);
        match self.text("status").as_deref() {
            Some("NEW") => pick("new", "neu"),
            Some("IN_PROGRESS") => pick("in progress", "in Bearbeitung"),
            Some("WAITING_ON_CUSTOMER") => {
                pick("waiting for your reply", "wartet auf Ihre Antwort")
            }
            Some("WAITING_ON_AGENT") => pick("waiting for support", "wartet auf den Support"),
            Some("RESOLVED") => pick("resolved", "gelöst"),
            _ => pick("updated", "aktualisiert"),
        }
    }

    /// A calendar day as the reader's language writes it.
    fn day(&self, name: &str) -> Option<String> {
        self.text(name).map(|d| self.reader.language.day(&d))
    }

    /// An amount with its currency (`"12.50 EUR"`, `"12,50 EUR"`), if the reader may read it.
    fn money(&self, name: &str) -> Option<String> {
        let amount = self.reader.language.decimal(&self.text(name)?);
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
            .unwrap_or_else(|| {
                self.reader
                    .language
                    .pick("a sub-account", "ein Unterkonto")
                    .into()
            })
    }

    /// A ticket sentence for the ticket's own account, or prefixed with the account's name
    /// for its main account.
    fn with_owner(&self, n: &notification::Model, sentence: String) -> String {
        match self.record.get("account").and_then(|f| f.names) {
            Some(Ref::Account(owner)) if owner != n.account_id => {
                format!("{}: {sentence}", self.reader.account_name(owner))
            }
            _ => sentence,
        }
    }
}

/// The sentence of notification `n`, told to `reader` (its recipient, with the rows
/// [`refs_of`] names) in the reader's language: each template once, its English and German
/// side by side, filled from the same blanks.
pub fn message(reader: &Reader<'_>, n: &notification::Model) -> String {
    let record = record_of(n);
    let template = Template::of(n, &record);
    let b = Blanks { record, reader };
    let l = reader.language;
    let order = ("order", b.spaced("order"));
    let total = ("total", b.amount("total"));
    let sub_account = ("account", b.account("subAccount"));
    let reason = ("reason", b.after("reason", ": "));
    let service = ("service", b.spaced("service"));
    match template {
        Template::SubAccountOrdered => b.say(
            "{{Account}} placed order{{order}}{{total}}; approve or reject it under Manage orders.",
            "{{Account}} hat die Bestellung{{order}}{{total}} aufgegeben; genehmigen oder ablehnen Sie sie unter „Bestellungen verwalten“.",
            &[("Account", capitalized(&sub_account.1)), order, total],
        ),
        Template::OrderRejected => match b.text("reason") {
            Some(_) => b.say(
                "Order{{order}} was rejected{{reason}}",
                "Bestellung{{order}} wurde abgelehnt{{reason}}",
                &[order, reason],
            ),
            None => b.say(
                "Order{{order}} was rejected.",
                "Bestellung{{order}} wurde abgelehnt.",
                &[order],
            ),
        },
        Template::OrderPaid => b.say(
            "Your order{{order}} was approved and paid.",
            "Ihre Bestellung{{order}} wurde genehmigt und bezahlt.",
            &[order],
        ),
        Template::ServicesOrdered => match b.text("services") {
            Some(list) => b.say(
                "New services were ordered for you: {{list}}. They start on the date your provider confirms.",
                "Für Sie wurden neue Dienste bestellt: {{list}}. Sie beginnen an dem Tag, den Ihr Anbieter bestätigt.",
                &[("list", list)],
            ),
            None => b.say(
                "New services were ordered for you.",
                "Für Sie wurden neue Dienste bestellt.",
                &[],
            ),
        },
        Template::OrderCalledOff => b.say(
            "Order{{order}} was called off{{reason}}. Nothing was charged.",
            "Bestellung{{order}} wurde storniert{{reason}}. Es wurde nichts berechnet.",
            &[order, reason],
        ),
        Template::SubAccountOrderCalledOff => b.say(
            "Order{{order}} of {{account}} was called off{{reason}}.",
            "Bestellung{{order}} von {{account}} wurde storniert{{reason}}.",
            &[order, sub_account, reason],
        ),
        Template::OrderExpired => b.say(
            "Your order{{order}}{{total}} expired: your main account did not answer in time. Nothing was charged.",
            "Ihre Bestellung{{order}}{{total}} ist abgelaufen: Ihr Hauptkonto hat nicht rechtzeitig geantwortet. Es wurde nichts berechnet.",
            &[order, total],
        ),
        Template::SubAccountOrderExpired => b.say(
            "The order{{order}}{{total}} of {{account}} expired without an answer; nothing was charged.",
            "Die Bestellung{{order}}{{total}} von {{account}} ist ohne Antwort abgelaufen; es wurde nichts berechnet.",
            &[order, total, sub_account],
        ),
        Template::SubAccountOrderExpiring => b.say(
            "The order{{order}}{{total}} of {{account}} expires{{on}}: approve or reject it under Manage orders.",
            "Die Bestellung{{order}}{{total}} von {{account}} läuft{{on}} ab: genehmigen oder ablehnen Sie sie unter „Bestellungen verwalten“.",
            &[order, total, sub_account, ("on", b.day_after("expires", l.pick(" on ", " am ")))],
        ),
        Template::ServiceStarts => b.say(
            "{{tariff}} starts{{on}}.",
            "{{tariff}} beginnt{{on}}.",
            &[
                ("tariff", b.text("tariff").unwrap_or_else(|| l.pick("Your new service", "Ihr neuer Dienst").into())),
                ("on", b.day_after("startDate", l.pick(" on ", " am "))),
            ],
        ),
        Template::ServiceNotProvided => b.say(
            "{{tariff}}{{of}} will not be provided{{why}}",
            "{{tariff}}{{of}} wird nicht bereitgestellt{{why}}",
            &[
                ("tariff", b.text("tariff").unwrap_or_else(|| l.pick("A service", "Ein Dienst").into())),
                ("of", b.after("order", l.pick(" of order ", " aus Bestellung "))),
                ("why", b.text("reason").map_or_else(|| ".".into(), |r| format!(": {r}"))),
            ],
        ),
        Template::InvoiceIssued => b.say(
            "Invoice{{invoice}}{{period}}{{total}}{{paid}}.",
            "Rechnung{{invoice}}{{period}}{{total}}{{paid}}.",
            &[
                ("invoice", b.spaced("invoice")),
                ("period", b.after("period", l.pick(" for ", " für "))),
                ("total", b.money("total").map(|m| format!(": {m}")).unwrap_or_default()),
                (
                    "paid",
                    match b.text("status").as_deref() {
                        Some("PAID") => l.pick(", charged to your balance", ", von Ihrem Guthaben abgebucht"),
                        Some(_) => l.pick(
                            ", unpaid: your prepaid balance does not cover it",
                            ", unbezahlt: Ihr Prepaid-Guthaben deckt sie nicht",
                        ),
                        None => "",
                    }
                    .into(),
                ),
            ],
        ),
        Template::ServiceDisabled => b.say(
            "Your service{{service}} is disabled{{from}}; it is not billed while disabled.",
            "Ihr Dienst{{service}} ist{{from}} deaktiviert; solange er deaktiviert ist, wird er nicht berechnet.",
            &[service, ("from", b.day_after("from", l.pick(" from ", " ab ")))],
        ),
        Template::ServiceEnabled => b.say(
            "Your service{{service}} is enabled again{{from}}.",
            "Ihr Dienst{{service}} ist{{from}} wieder aktiviert.",
            &[service, ("from", b.day_after("on", l.pick(" from ", " ab ")))],
        ),
        Template::ServiceEndScheduled => b.say(
            "Your service{{service}} ends{{on}}.",
            "Ihr Dienst{{service}} endet{{on}}.",
            &[service, ("on", b.day_after("endDate", l.pick(" on ", " am ")))],
        ),
        Template::ServiceEnded => b.say(
            "Your service{{service}} ended{{on}}.",
            "Ihr Dienst{{service}} endete{{on}}.",
            &[service, ("on", b.day_after("endDate", l.pick(" on ", " am ")))],
        ),
        Template::SupportReplied => b.with_owner(
            n,
            b.say(
                "Support replied to {{ticket}}.",
                "Der Support hat auf {{ticket}} geantwortet.",
                &[(
                    "ticket",
                    b.text("ticket").map_or_else(
                        || l.pick("your ticket", "Ihr Ticket").into(),
                        |t| l.pick(format!("\"{t}\""), format!("„{t}“")),
                    ),
                )],
            ),
        ),
        Template::TicketStatus => b.with_owner(
            n,
            b.say(
                "The ticket{{ticket}} is {{status}}.",
                "Das Ticket{{ticket}} ist {{status}}.",
                &[
                    (
                        "ticket",
                        b.text("ticket")
                            .map(|t| l.pick(format!(" \"{t}\""), format!(" „{t}“")))
                            .unwrap_or_default(),
                    ),
                    ("status", b.ticket_status().into()),
                ],
            ),
        ),
        Template::BalanceSent => b.say(
            "You moved {{amount}} to the balance of {{to}}.",
            "Sie haben {{amount}} auf das Guthaben von {{to}} übertragen.",
            &[
                ("amount", b.money("amount").unwrap_or_else(|| l.pick("money", "Geld").into())),
                ("to", b.account("to")),
            ],
        ),
        Template::BalanceReceived => b.say(
            "{{from}} moved {{amount}} to your balance.",
            "{{from}} hat {{amount}} auf Ihr Guthaben übertragen.",
            &[
                ("from", capitalized(&b.account("from"))),
                ("amount", b.money("amount").unwrap_or_else(|| l.pick("money", "Geld").into())),
            ],
        ),
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
