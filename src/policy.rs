//! The one authorization function: may VIEWER do ACTION to TARGET? It encodes SPEC.md's
//! table for main accounts over their sub-accounts, a customer's own account, admins and
//! anonymous callers. Not visible → `NOT_FOUND`; visible but not allowed → `FORBIDDEN`.
//! Resolvers and domain functions ask it; nothing else compares account ids.

use entity::{account, enums::SubAccountType, ticket};

use crate::{
    auth::{CustomerViewer, Viewer},
    error::AppError,
};

/// What a viewer wants to do. The first group is SPEC.md's capability table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// See the account in a list: name, status, address, services count, billing mode, cost.
    See,
    /// Open its details: services list, activity, contact data.
    ViewDetails,
    Order,
    PauseServices,
    ChangeServices,
    ViewInternetUsage,
    ViewVoiceUsage,
    ViewDocuments,
    ManageTickets,
    /// Approve (by paying) or reject orders the account placed.
    ManageOrders,
    /// See its orders.
    ViewOrders,
    /// See its balance.
    ViewBalance,
    /// See its invoices and payments.
    ViewBilling,
    /// Staff-only operations (accounts, links, switches, tariffs, approvals).
    Administer,
}

/// Every capability reported by `Account.capabilities`, in the contract's order.
pub const CAPABILITIES: [Action; 9] = [
    Action::ViewDetails,
    Action::Order,
    Action::PauseServices,
    Action::ChangeServices,
    Action::ViewInternetUsage,
    Action::ViewVoiceUsage,
    Action::ViewDocuments,
    Action::ManageTickets,
    Action::ManageOrders,
];

/// What the action is done to.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// Nothing in particular: system-wide (admin) operations.
    System,
    /// An account and everything that hangs off it.
    Account(&'a account::Model),
    /// A ticket, which a sub-account may hide from its main account.
    Ticket(&'a ticket::Model, &'a account::Model),
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

/// The decision. `Ok(())` allows; otherwise the error to answer with.
pub fn authorize(viewer: &Viewer, action: Action, target: Target<'_>) -> Result<(), AppError> {
    let customer = match viewer {
        Viewer::Admin(_) => return Ok(()),
        Viewer::Anonymous => return Err(AppError::Unauthenticated("authentication required")),
        Viewer::Customer(c) => c,
    };
    let account = match target {
        Target::System => return Err(AppError::Forbidden),
        Target::Account(a) => a,
        Target::Ticket(ticket, a) => {
            // A ticket hidden from the main account does not exist for it.
            if ticket.hidden_from_main && matches!(relation(customer, a), Relation::Sub(_)) {
                return Err(AppError::NotFound);
            }
            a
        }
    };
    let allowed = match relation(customer, account) {
        Relation::Stranger => return Err(AppError::NotFound),
        Relation::Own => !matches!(action, Action::ManageOrders | Action::Administer),
        Relation::Sub(kind) => action == Action::See || sub_account_allows(customer, kind, action),
    };
    if allowed {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// SPEC.md's table for a main account over one of its sub-accounts (beyond seeing it listed).
fn sub_account_allows(main: &CustomerViewer, kind: SubAccountType, action: Action) -> bool {
    if !main.account.sub_account_management {
        return false;
    }
    match kind {
        SubAccountType::Aggregated => !matches!(action, Action::Administer),
        SubAccountType::Independent => {
            main.independent_access
                && matches!(
                    action,
                    Action::ViewDetails
                        | Action::PauseServices
                        | Action::ViewInternetUsage
                        | Action::ViewDocuments
                        | Action::ManageTickets
                )
        }
    }
}

/// Whether the action is allowed, for capability flags.
pub fn allows(viewer: &Viewer, action: Action, target: Target<'_>) -> bool {
    authorize(viewer, action, target).is_ok()
}

/// Shorthand for staff-only operations.
pub fn require_admin(viewer: &Viewer) -> Result<(), AppError> {
    authorize(viewer, Action::Administer, Target::System)
}
