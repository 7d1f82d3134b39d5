//! The one authorization function: may VIEWER do ACTION to TARGET? It encodes SPEC.md's
//! table for main accounts over their sub-accounts, a customer's own account, admins and
//! anonymous callers, the switches (a refusal by a switch is a business refusal,
//! `NOT_ALLOWED_BY_SETTINGS`), and which objects a viewer can see at all (not visible →
//! `NOT_FOUND`; visible but not allowed → `FORBIDDEN`). It also says which part of a list a
//! viewer sees (the scopes the loaders take). Guards, domain functions, capabilities and
//! loaders all ask here; nothing else compares account ids.

use entity::enums::SubAccountType;
use entity::{
    account, document, email_template, invoice, notification, order, partner, service, tariff,
    ticket,
};

pub use crate::action::Action;
use crate::{
    auth::{CustomerViewer, Viewer},
    error::{AppError, UserError, UserErrorCode},
};

/// The permission that opens an account's activity history (`Account.activity`, the
/// activity feed and its exports, an entry by id).
pub const READ_ACTIVITY: Action = Action::ViewDetails;

/// What the action is done to, with the rows its rule depends on.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// Nothing in particular: system-wide (staff) operations.
    System,
    /// An account and what hangs off it (its lists, usage, activity).
    Account(&'a account::Model),
    /// A former sub-account of the viewer, as its row was when they were unlinked (what the
    /// orders and invoices the viewer paid for it keep naming): seen, nothing more.
    FormerSubAccount(&'a account::Model),
    /// A service of an account (seen with the account's details).
    Service(&'a service::Model, &'a account::Model),
    /// A ticket of an account, which a sub-account may hide from its main account.
    Ticket(&'a ticket::Model, &'a account::Model),
    /// An order and the account it is for.
    Order(&'a order::Model, &'a account::Model),
    /// An invoice and its payer.
    Invoice(&'a invoice::Model, &'a account::Model),
    /// A document and the account it belongs to.
    Document(&'a document::Model, &'a account::Model),
    /// A portal notification (its recipient's alone).
    Notification(&'a notification::Model),
    /// A partner (branch or reseller).
    Partner(&'a partner::Model),
    /// An email template (staff configuration).
    EmailTemplate(&'a email_template::Model),
    /// A tariff of the catalogue.
    Tariff(&'a tariff::Model),
    /// An entry of an account's activity history (seen with the account's details).
    ActivityOf(&'a account::Model),
    /// A recorded Internet session of an account's service.
    InternetSessionOf(&'a account::Model),
    /// A recorded call of an account's service.
    VoiceCallOf(&'a account::Model),
    /// A staff user (staff see each other; customers see an assignee's name only, through
    /// its ticket).
    StaffUser,
}

/// How the viewer stands to an account.
enum Relation {
    Own,
    /// The target is a sub-account of the viewer.
    Sub(SubAccountType),
    Stranger,
}

fn relation(viewer: &CustomerViewer, target: &account::Model) -> Relation {
    if target.id == viewer.account.id {
        Relation::Own
    } else if target.main_account_id == Some(viewer.account.id) {
        // A link without a type is impossible by construction; treat it as the narrower kind.
        Relation::Sub(
            target
                .sub_account_type
                .unwrap_or(SubAccountType::Independent),
        )
    } else {
        Relation::Stranger
    }
}

fn settings(message: &str) -> AppError {
    AppError::user(UserError::new(UserErrorCode::NotAllowedBySettings, message))
}

/// The columns of an account the rules read when it is the target (`relation`, `staff`,
/// `own_allows`; the status and billing mode besides, as an account's kind): a row read
/// with only these (and what a request writes) is decided as the whole row
/// (`tests::an_account_is_decided_by_its_policy_columns_alone`).
pub const ACCOUNT_COLUMNS: &[&str] = &[
    "id",
    "partner_id",
    "status",
    "billing_mode",
    "main_account_id",
    "sub_account_type",
    "sub_account_management",
    "must_change_password",
];

/// The decision. `Ok(())` allows; otherwise the error to answer with: `NOT_FOUND`,
/// `FORBIDDEN`, `UNAUTHENTICATED`, or a `NOT_ALLOWED_BY_SETTINGS` user error.
pub fn authorize(viewer: &Viewer, action: Action, target: Target<'_>) -> Result<(), AppError> {
    match viewer {
        Viewer::Anonymous => Err(AppError::Unauthenticated("authentication required")),
        // The server's own work (the scheduler, the CLI) acts with staff's rights.
        Viewer::Admin(_) | Viewer::System => staff(action, target),
        Viewer::Customer(c) => customer(c, action, target),
    }
}

/// Whether the action is allowed (capability flags).
pub fn allows(viewer: &Viewer, action: Action, target: Target<'_>) -> bool {
    authorize(viewer, action, target).is_ok()
}

/// Shorthand for staff-only operations.
pub fn require_admin(viewer: &Viewer) -> Result<(), AppError> {
    authorize(viewer, Action::Administer, Target::System)
}

/// Staff may do everything an account holder's account allows, but what only an account
/// holder does: place an order (a cart is a customer's, placed by its account) and move money
/// from its own balance (staff have none; they adjust balances instead).
fn staff(action: Action, target: Target<'_>) -> Result<(), AppError> {
    let allowed = match (action, target) {
        (Action::Order | Action::TransferBalance, _) => false,
        (Action::HideTicketFromMain, Target::Account(a)) => a.main_account_id.is_some(),
        (Action::SetSpendingControls, Target::Account(a)) => is_aggregated_sub_account(a),
        _ => true,
    };
    allowed.then_some(()).ok_or(AppError::Denied(action))
}

/// Spending controls are for an aggregated sub-account's own orders (its main pays them).
fn is_aggregated_sub_account(a: &account::Model) -> bool {
    a.main_account_id.is_some() && a.sub_account_type == Some(SubAccountType::Aggregated)
}

fn customer(c: &CustomerViewer, action: Action, target: Target<'_>) -> Result<(), AppError> {
    let see = action == Action::See;
    match target {
        Target::System => Err(AppError::Denied(action)),
        Target::Tariff(_) => see.then_some(()).ok_or(AppError::Denied(action)),
        Target::Partner(p) if p.id == c.account.partner_id => {
            see.then_some(()).ok_or(AppError::Denied(action))
        }
        Target::Partner(_) | Target::EmailTemplate(_) => Err(AppError::NotFound),
        Target::Notification(n) => (n.account_id == c.account.id)
            .then_some(())
            .ok_or(AppError::NotFound),
        Target::StaffUser => Err(AppError::NotFound),
        Target::ActivityOf(owner) => on_part(c, action, owner, READ_ACTIVITY),
        Target::InternetSessionOf(owner) => on_part(c, action, owner, Action::ViewInternetUsage),
        Target::VoiceCallOf(owner) => on_part(c, action, owner, Action::ViewVoiceUsage),
        Target::Account(a) => on_account(c, action, a),
        Target::FormerSubAccount(_) if see => Ok(()),
        Target::FormerSubAccount(_) => Err(AppError::Denied(action)),
        // An object of an account is seen with the permission that opens it.
        Target::Service(_, owner) => on_part(c, action, owner, Action::ViewDetails),
        Target::Document(_, owner) => on_part(c, action, owner, Action::ViewDocuments),
        Target::Invoice(_, payer) => on_part(c, action, payer, Action::ViewBilling),
        Target::Ticket(t, owner) => {
            // A ticket hidden from the main account does not exist for it.
            if t.hidden_from_main && matches!(relation(c, owner), Relation::Sub(_)) {
                return Err(AppError::NotFound);
            }
            on_part(c, action, owner, Action::ManageTickets)
        }
        Target::Order(o, account) => on_order(c, action, o, account),
    }
}

/// An action on an object of `owner` that is opened with `opens`.
fn on_part(
    c: &CustomerViewer,
    action: Action,
    owner: &account::Model,
    opens: Action,
) -> Result<(), AppError> {
    on_account(c, Action::See, owner)?;
    on_account(c, if action == Action::See { opens } else { action }, owner)
}

fn on_account(c: &CustomerViewer, action: Action, a: &account::Model) -> Result<(), AppError> {
    let allowed = match relation(c, a) {
        Relation::Stranger => return Err(AppError::NotFound),
        Relation::Own if action == Action::Order => return own_order(c, a),
        Relation::Own => own_allows(c, a, action),
        Relation::Sub(kind) => action == Action::See || sub_account_allows(c, kind, action),
    };
    if allowed {
        Ok(())
    } else {
        Err(AppError::Denied(action))
    }
}

/// What an account holder may do with its own account `a` (the viewer's).
fn own_allows(c: &CustomerViewer, a: &account::Model, action: Action) -> bool {
    match action {
        Action::ManageOrders
        | Action::Administer
        | Action::SetSpendingControls
        | Action::TransferBalance => false,
        Action::Order => own_order(c, a).is_ok(),
        Action::HideTicketFromMain => a.main_account_id.is_some(),
        // An aggregated sub-account has no billing of its own: its main pays.
        Action::ViewBilling => !is_aggregated_sub_account(a),
        _ => true,
    }
}

/// An account ordering for itself. An aggregated sub-account pays nothing itself: its order
/// asks its main account, which must be able to act on it (SPEC: a request never waits on a
/// main that cannot act), and its partner must let sub-accounts order.
fn own_order(c: &CustomerViewer, a: &account::Model) -> Result<(), AppError> {
    if a.sub_account_type != Some(SubAccountType::Aggregated) {
        return Ok(());
    }
    if !c.sub_accounts_can_order {
        return Err(settings(
            "your provider does not let sub-accounts place orders; ask your main account",
        ));
    }
    if !c.main_manages {
        return Err(settings(
            "your main account cannot approve orders at the moment; ask it to order for you",
        ));
    }
    Ok(())
}

/// SPEC.md's table for a main account over one of its sub-accounts (beyond seeing it listed).
fn sub_account_allows(main: &CustomerViewer, kind: SubAccountType, action: Action) -> bool {
    if !main.account.sub_account_management {
        return false;
    }
    match kind {
        // Its money is the main's: nothing to transfer to it.
        SubAccountType::Aggregated => !matches!(
            action,
            Action::Administer | Action::HideTicketFromMain | Action::TransferBalance
        ),
        SubAccountType::Independent => {
            main.independent_access
                && matches!(
                    action,
                    Action::ViewDetails
                        | Action::PauseServices
                        | Action::ViewInternetUsage
                        | Action::ViewDocuments
                        | Action::ManageTickets
                        | Action::TransferBalance
                )
        }
    }
}

/// How an order the viewer places for an account is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payment {
    /// The viewer pays at once: for itself, or a main account for its sub-account.
    Now { payer: i64 },
    /// An aggregated sub-account ordering for itself: its main account approves and pays.
    AsksMain { main: i64 },
}

/// Who pays an order `viewer` places for `account` (which it may order for).
pub fn payment(viewer: &CustomerViewer, account: &account::Model) -> Payment {
    match (
        relation(viewer, account),
        account.sub_account_type,
        account.main_account_id,
    ) {
        (Relation::Own, Some(SubAccountType::Aggregated), Some(main)) => Payment::AsksMain { main },
        _ => Payment::Now {
            payer: viewer.account.id,
        },
    }
}

/// Whether `account`, signed in as itself, can open `order`: it pays for it, or it is the
/// order's account and placed it itself. A sub-account does not see what its main placed for
/// it: that order, its payment and invoice are the main's.
pub fn account_sees_order(account: &account::Model, order: &order::Model) -> bool {
    order.payer_id == account.id
        || (order.account_id == account.id && order.placed_by_id == account.id)
}

/// Whether `account`, signed in as itself, can open `invoice`: its own billing only.
pub fn account_sees_invoice(account: &account::Model, invoice: &invoice::Model) -> bool {
    invoice.account_id == account.id
}

fn on_order(
    c: &CustomerViewer,
    action: Action,
    o: &order::Model,
    account: &account::Model,
) -> Result<(), AppError> {
    let visible = match relation(c, account) {
        Relation::Stranger => o.payer_id == c.account.id,
        Relation::Own => account_sees_order(&c.account, o),
        Relation::Sub(_) => true,
    };
    if !visible {
        return Err(AppError::NotFound);
    }
    match action {
        Action::See | Action::ViewOrders if account_sees_order(&c.account, o) => Ok(()),
        Action::See => on_account(c, Action::ViewOrders, account),
        other => on_account(c, other, account),
    }
}

pub mod scope;

#[cfg(test)]
mod tests;
