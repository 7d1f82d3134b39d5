//! Why an order's payment failed, or why a waiting order was called off: kept on the order
//! as a code and facts (the payer's balance is the payer's: shown only with `viewBalance`
//! on it), and told to each reader as it may read them: the main account's figures never
//! reach its sub-account.

use entity::order;

use crate::{
    domain::{
        language::Language,
        record::{About, Guard, Reader, Record, Ref},
    },
    error::{UserError, UserErrorCode},
    money::Money,
};

/// Why a waiting order was called off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalledOff {
    /// The order's account was unlinked from the main account that was to pay.
    NoLongerSubAccount,
    /// The main account lost the right to approve its sub-accounts' orders.
    MainMayNotApprove,
}

impl CalledOff {
    fn code(self) -> &'static str {
        match self {
            CalledOff::NoLongerSubAccount => "NO_LONGER_SUB_ACCOUNT",
            CalledOff::MainMayNotApprove => "MAIN_MAY_NOT_APPROVE",
        }
    }

    /// The reason in words (nothing in it belongs to one party).
    pub fn words(self) -> &'static str {
        match self {
            CalledOff::NoLongerSubAccount => {
                "the account is no longer a sub-account of its main account"
            }
            CalledOff::MainMayNotApprove => {
                "the main account may no longer approve sub-account orders"
            }
        }
    }
}

/// Why an order failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The payer's balance did not cover the total.
    InsufficientBalance {
        payer: i64,
        balance: Money,
    },
    /// The payment gateway declined the charge (its reason is the payer's billing).
    Declined {
        payer: i64,
        reason: String,
    },
    CalledOff(CalledOff),
}

const CODE: &str = "code";
const INSUFFICIENT_BALANCE: &str = "INSUFFICIENT_BALANCE";
const PAYMENT_DECLINED: &str = "PAYMENT_DECLINED";

impl Failure {
    /// The failure as facts (what the order's `failure` column and the activity keep).
    pub fn record(&self, order: &order::Model) -> Record {
        let record = Record::default().amount(
            "total",
            Ref::Order(order.id),
            Money::from_minor(order.total_minor),
        );
        match self {
            Failure::InsufficientBalance { payer, balance } => record
                .value(CODE, INSUFFICIENT_BALANCE)
                .names("payer", Ref::Account(*payer))
                .balance_amount("balance", *payer, *balance),
            Failure::Declined { payer, reason } => record
                .value(CODE, PAYMENT_DECLINED)
                .names("payer", Ref::Account(*payer))
                .guarded("gatewayReason", Guard::Billing(*payer), reason.clone()),
            Failure::CalledOff(why) => record.value(CODE, why.code()).value("reason", why.words()),
        }
    }

    /// As the order's `failure` column keeps it.
    pub fn stored(&self, order: &order::Model) -> String {
        self.record(order).facts_json()
    }
}

/// An order's failure as the user error of the attempt, told to `reader` (who asked for it).
pub fn refusal(reader: &Reader<'_>, order: &order::Model) -> Option<UserError> {
    let record = Record::read(About::default(), order.failure.as_deref()?);
    let code = match record.text(reader, CODE).as_deref() {
        Some(INSUFFICIENT_BALANCE) => UserErrorCode::InsufficientBalance,
        Some(PAYMENT_DECLINED) => UserErrorCode::PaymentDeclined,
        _ => UserErrorCode::InvalidState,
    };
    Some(UserError::new(code, told(reader, &record)))
}

/// An order's failure, told to `reader` (which has the order and its payer in its rows).
pub fn reason(reader: &Reader<'_>, order: &order::Model) -> Option<String> {
    let stored = order.failure.as_deref()?;
    Some(told(reader, &Record::read(About::default(), stored)))
}

/// The objects an order's failure names, for loading what a reader needs.
pub fn refs(order: &order::Model) -> Vec<Ref> {
    order
        .failure
        .as_deref()
        .map(|f| Record::read(About::default(), f).refs().collect())
        .unwrap_or_default()
}

fn told(reader: &Reader<'_>, record: &Record) -> String {
    let language = reader.language;
    let text = |name: &str| record.text(reader, name);
    let amount = |name: &str| text(name).map(|a| language.decimal(&a));
    let payer = || {
        record
            .get("payer")
            .and_then(|f| f.names)
            .map(|r| match r {
                Ref::Account(id) => reader.account_name(id),
                _ => String::new(),
            })
            .unwrap_or_else(|| language.pick("the payer", "unbekannt").into())
    };
    let total = amount("total")
        .map(|t| format!(" ({t})"))
        .unwrap_or_default();
    match (text(CODE).as_deref(), language) {
        (Some(INSUFFICIENT_BALANCE), Language::English) => match amount("balance") {
            Some(balance) => format!("the balance ({balance}) does not cover the total{total}"),
            None => format!("the balance of {} does not cover the total{total}", payer()),
        },
        // German names the payer in a parenthesis: a name, "Ihr Hauptkonto" or "ein anderes
        // Konto" stay in the nominative there.
        (Some(INSUFFICIENT_BALANCE), Language::German) => match amount("balance") {
            Some(balance) => format!("das Guthaben ({balance}) deckt den Betrag{total} nicht"),
            None => format!(
                "das Guthaben deckt den Betrag{total} nicht (Zahler: {})",
                payer()
            ),
        },
        // The gateway's own words are its own: told as it said them.
        (Some(PAYMENT_DECLINED), _) => match text("gatewayReason") {
            Some(reason) => reason,
            None => language
                .pick(
                    "the payment of {} was declined",
                    "die Zahlung wurde abgelehnt (Zahler: {})",
                )
                .replace("{}", &payer()),
        },
        _ => text("reason").unwrap_or_else(|| {
            language
                .pick(
                    "the order could not be paid",
                    "die Bestellung konnte nicht bezahlt werden",
                )
                .into()
        }),
    }
}
