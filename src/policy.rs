//! The one authorization function: may VIEWER do ACTION to TARGET? It encodes SPEC.md's
//! table for main accounts over their sub-accounts, a customer's own account, admins and
//! anonymous callers. Not visible → `NOT_FOUND`; visible but not allowed → `FORBIDDEN`.
//! Resolvers and domain functions ask it; nothing else compares account ids.

use entity::{account, enums::SubAccountType, order, ticket};

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
    /// An order and the account it is for; its payer may always see it.
    Order(&'a order::Model, &'a account::Model),
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
        Target::Order(order, a) => {
            if order.payer_id == customer.account.id
                && matches!(action, Action::See | Action::ViewOrders)
            {
                return Ok(());
            }
            // A sub-account sees the orders it placed, not those its main placed for it
            // (they would lead it to its main account).
            if a.id == customer.account.id
                && a.main_account_id.is_some()
                && order.placed_by_id != a.id
            {
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

/// The check for acting on something reached by its id: it must be visible (`NOT_FOUND`
/// otherwise, so existence does not leak), then the action allowed (`FORBIDDEN`).
pub fn authorize_reached(
    viewer: &Viewer,
    action: Action,
    target: Target<'_>,
) -> Result<(), AppError> {
    authorize(viewer, Action::See, target)?;
    authorize(viewer, action, target)
}

/// Whether the action is allowed, for capability flags.
pub fn allows(viewer: &Viewer, action: Action, target: Target<'_>) -> bool {
    authorize(viewer, action, target).is_ok()
}

/// Shorthand for staff-only operations.
pub fn require_admin(viewer: &Viewer) -> Result<(), AppError> {
    authorize(viewer, Action::Administer, Target::System)
}

#[cfg(test)]
mod tests {
    //! The whole table of SPEC.md, both ways, for every action, from one table.
    use chrono::Utc;
    use entity::enums::{AccountStatus, BillingMode};

    use super::*;
    use crate::auth::{CustomerViewer, StaffViewer};

    fn account(id: i64, main: Option<(i64, SubAccountType)>, management: bool) -> account::Model {
        account::Model {
            id,
            partner_id: 1,
            login: format!("a{id}"),
            password_hash: String::new(),
            full_name: format!("Account {id}"),
            email: None,
            status: AccountStatus::Active,
            billing_mode: BillingMode::Recurring,
            street: String::new(),
            city: String::new(),
            zip_code: String::new(),
            country: String::new(),
            search_text: String::new(),
            currency: "EUR".into(),
            balance_minor: 0,
            main_account_id: main.map(|m| m.0),
            sub_account_type: main.map(|m| m.1),
            linked_at: main.map(|_| Utc::now()),
            sub_account_management: management,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn customer(a: account::Model, independent_access: bool) -> Viewer {
        Viewer::Customer(Box::new(CustomerViewer {
            account: a,
            independent_access,
        }))
    }

    const ALL: [Action; 13] = [
        Action::See,
        Action::ViewDetails,
        Action::Order,
        Action::PauseServices,
        Action::ChangeServices,
        Action::ViewInternetUsage,
        Action::ViewVoiceUsage,
        Action::ViewDocuments,
        Action::ManageTickets,
        Action::ManageOrders,
        Action::ViewOrders,
        Action::ViewBalance,
        Action::ViewBilling,
    ];

    /// Actions a main account may take on an independent sub-account (with access on).
    const INDEPENDENT_YES: [Action; 6] = [
        Action::See,
        Action::ViewDetails,
        Action::PauseServices,
        Action::ViewInternetUsage,
        Action::ViewDocuments,
        Action::ManageTickets,
    ];

    /// (column, management, independent access, sub type, expected for an action)
    fn expected(management: bool, access: bool, kind: SubAccountType, action: Action) -> bool {
        match (management, kind) {
            _ if action == Action::See => true,
            (false, _) => false,
            (true, SubAccountType::Aggregated) => true,
            (true, SubAccountType::Independent) => access && INDEPENDENT_YES.contains(&action),
        }
    }

    #[test]
    fn a_main_account_over_its_sub_accounts_follows_the_table() {
        for management in [false, true] {
            for access in [false, true] {
                for kind in [SubAccountType::Aggregated, SubAccountType::Independent] {
                    let main = customer(account(1, None, management), access);
                    let sub = account(2, Some((1, kind)), false);
                    for action in ALL {
                        let result = authorize(&main, action, Target::Account(&sub));
                        let want = expected(management, access, kind, action);
                        assert_eq!(
                            result.is_ok(),
                            want,
                            "{management} {access} {kind:?} {action:?}"
                        );
                        if !want {
                            assert!(
                                matches!(result, Err(AppError::Forbidden)),
                                "visible but refused is FORBIDDEN"
                            );
                        }
                    }
                    assert!(matches!(
                        authorize(&main, Action::Administer, Target::Account(&sub)),
                        Err(AppError::Forbidden)
                    ));
                }
            }
        }
    }

    #[test]
    fn strangers_and_main_accounts_are_not_found_for_customers() {
        let sub = account(2, Some((1, SubAccountType::Aggregated)), false);
        let main = account(1, None, true);
        let stranger = account(3, None, true);
        let sibling = account(4, Some((1, SubAccountType::Aggregated)), false);
        for action in ALL {
            for (viewer, target) in [
                (&sub, &main),
                (&sub, &sibling),
                (&stranger, &sub),
                (&stranger, &main),
            ] {
                let v = customer(viewer.clone(), true);
                assert!(
                    matches!(
                        authorize(&v, action, Target::Account(target)),
                        Err(AppError::NotFound)
                    ),
                    "{action:?}"
                );
            }
        }
    }

    #[test]
    fn an_account_may_do_everything_to_itself_but_approve_its_own_orders() {
        let me = account(2, Some((1, SubAccountType::Aggregated)), false);
        let v = customer(me.clone(), false);
        for action in ALL {
            assert_eq!(
                authorize(&v, action, Target::Account(&me)).is_ok(),
                action != Action::ManageOrders,
                "{action:?}"
            );
        }
    }

    #[test]
    fn admins_may_do_everything_and_anonymous_nothing() {
        let a = account(1, None, false);
        let admin = Viewer::Admin(StaffViewer {
            id: 1,
            full_name: "S".into(),
        });
        for action in ALL.into_iter().chain([Action::Administer]) {
            assert!(authorize(&admin, action, Target::Account(&a)).is_ok());
            assert!(matches!(
                authorize(&Viewer::Anonymous, action, Target::Account(&a)),
                Err(AppError::Unauthenticated(_))
            ));
        }
        assert!(require_admin(&admin).is_ok());
        assert!(matches!(
            require_admin(&customer(a, true)),
            Err(AppError::Forbidden)
        ));
    }

    #[test]
    fn a_ticket_hidden_from_the_main_account_does_not_exist_for_it() {
        let main = customer(account(1, None, true), true);
        let sub = account(2, Some((1, SubAccountType::Aggregated)), false);
        let now = Utc::now();
        let mut t = ticket::Model {
            id: 1,
            account_id: 2,
            created_by_id: Some(2),
            subject: "s".into(),
            status: entity::enums::TicketStatus::New,
            priority: entity::enums::TicketPriority::Low,
            hidden_from_main: true,
            created_at: now,
            updated_at: now,
        };
        assert!(matches!(
            authorize(&main, Action::ManageTickets, Target::Ticket(&t, &sub)),
            Err(AppError::NotFound)
        ));
        let own = customer(sub.clone(), false);
        assert!(authorize(&own, Action::ManageTickets, Target::Ticket(&t, &sub)).is_ok());
        t.hidden_from_main = false;
        assert!(authorize(&main, Action::ManageTickets, Target::Ticket(&t, &sub)).is_ok());
    }
}
