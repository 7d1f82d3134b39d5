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

use crate::{
    auth::{CustomerViewer, Viewer},
    error::{AppError, UserError, UserErrorCode},
};

/// What a viewer wants to do. The first group is SPEC.md's capability table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// See it at all (an account: in a list, with name, status, address, services count,
    /// billing mode and cost).
    See,
    /// Open an account's details: services list, activity, contact data.
    ViewDetails,
    /// Order new services for an account.
    Order,
    PauseServices,
    ChangeServices,
    ViewInternetUsage,
    ViewVoiceUsage,
    ViewDocuments,
    ManageTickets,
    /// Approve (by paying) or reject orders the account placed.
    ManageOrders,
    /// See an account's orders.
    ViewOrders,
    /// See an account's balance.
    ViewBalance,
    /// See an account's invoices and payments.
    ViewBilling,
    /// Hide a ticket of the account from its main account.
    HideTicketFromMain,
    /// Staff-only operations (accounts, links, switches, tariffs, approvals).
    Administer,
}

impl Action {
    /// The name clients see (`Account.capabilities`, `extensions.action` of a refusal).
    pub fn name(self) -> &'static str {
        match self {
            Action::See => "see",
            Action::ViewDetails => "viewDetails",
            Action::Order => "order",
            Action::PauseServices => "pauseServices",
            Action::ChangeServices => "changeServices",
            Action::ViewInternetUsage => "viewInternetUsage",
            Action::ViewVoiceUsage => "viewVoiceUsage",
            Action::ViewDocuments => "viewDocuments",
            Action::ManageTickets => "manageTickets",
            Action::ManageOrders => "manageOrders",
            Action::ViewOrders => "viewOrders",
            Action::ViewBalance => "viewBalance",
            Action::ViewBilling => "viewBilling",
            Action::HideTicketFromMain => "hideTicketsFromMain",
            Action::Administer => "administer",
        }
    }
}

/// What the action is done to, with the rows its rule depends on.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// Nothing in particular: system-wide (staff) operations.
    System,
    /// An account and what hangs off it (its lists, usage, activity).
    Account(&'a account::Model),
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

/// The decision. `Ok(())` allows; otherwise the error to answer with: `NOT_FOUND`,
/// `FORBIDDEN`, `UNAUTHENTICATED`, or a `NOT_ALLOWED_BY_SETTINGS` user error.
pub fn authorize(viewer: &Viewer, action: Action, target: Target<'_>) -> Result<(), AppError> {
    match viewer {
        Viewer::Anonymous => Err(AppError::Unauthenticated("authentication required")),
        Viewer::Admin(_) => staff(action, target),
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

/// Staff may do everything, but hide a ticket of an account that has no main account.
fn staff(action: Action, target: Target<'_>) -> Result<(), AppError> {
    match (action, target) {
        (Action::HideTicketFromMain, Target::Account(a)) if a.main_account_id.is_none() => {
            Err(AppError::Denied(action))
        }
        _ => Ok(()),
    }
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
        Target::Account(a) => on_account(c, action, a),
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
        Relation::Own => match action {
            Action::ManageOrders | Action::Administer => false,
            Action::Order => return own_order(c, a),
            Action::HideTicketFromMain => a.main_account_id.is_some(),
            _ => true,
        },
        Relation::Sub(kind) => action == Action::See || sub_account_allows(c, kind, action),
    };
    if allowed {
        Ok(())
    } else {
        Err(AppError::Denied(action))
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
        SubAccountType::Aggregated => {
            !matches!(action, Action::Administer | Action::HideTicketFromMain)
        }
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

/// Which of an account's orders a viewer's list of them shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderScope {
    All,
    /// Those the account placed itself (a sub-account's own view).
    PlacedByAccount,
}

pub fn order_scope(viewer: &Viewer, account: &account::Model) -> OrderScope {
    match viewer {
        Viewer::Customer(c) if matches!(relation(c, account), Relation::Own) => {
            OrderScope::PlacedByAccount
        }
        _ => OrderScope::All,
    }
}

/// Which tickets a viewer's list of an account's tickets shows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TicketScope {
    /// All of the account's tickets.
    All,
    /// Those its sub-account did not hide (a main account looking at a sub-account).
    NotHidden,
    /// The account's own tickets and the ones not hidden of its sub-accounts of these kinds
    /// (a main account's own list).
    WithSubAccounts(Vec<SubAccountType>),
}

pub fn ticket_scope(viewer: &Viewer, account: &account::Model) -> TicketScope {
    let Viewer::Customer(c) = viewer else {
        return TicketScope::All;
    };
    match relation(c, account) {
        Relation::Own => {
            let kinds: Vec<SubAccountType> =
                [SubAccountType::Aggregated, SubAccountType::Independent]
                    .into_iter()
                    .filter(|kind| sub_account_allows(c, *kind, Action::ManageTickets))
                    .collect();
            if kinds.is_empty() {
                TicketScope::All
            } else {
                TicketScope::WithSubAccounts(kinds)
            }
        }
        _ => TicketScope::NotHidden,
    }
}

#[cfg(test)]
mod tests {
    //! The whole table of SPEC.md, both ways, for every action, from one table.
    use chrono::Utc;
    use entity::enums::{AccountStatus, BillingMode, OrderStatus};

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
            sub_accounts_can_order: true,
            main_manages: true,
        }))
    }

    fn order(account: i64, placed_by: i64, payer: i64) -> order::Model {
        order::Model {
            id: 1,
            number: "ORD-1".into(),
            account_id: account,
            placed_by_id: placed_by,
            payer_id: payer,
            status: OrderStatus::Paid,
            subtotal_minor: 0,
            tax_minor: 0,
            total_minor: 0,
            payment_method: None,
            paid_at: None,
            invoice_id: None,
            rejection_reason: None,
            failure_reason: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
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
                                matches!(result, Err(AppError::Denied(_))),
                                "visible but refused is FORBIDDEN"
                            );
                        }
                    }
                    for action in [Action::Administer, Action::HideTicketFromMain] {
                        assert!(matches!(
                            authorize(&main, action, Target::Account(&sub)),
                            Err(AppError::Denied(_))
                        ));
                    }
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
    fn an_aggregated_sub_account_orders_only_when_its_main_can_act_and_its_partner_allows() {
        let me = account(2, Some((1, SubAccountType::Aggregated)), false);
        for (can_order, manages, allowed) in [
            (true, true, true),
            (false, true, false),
            (true, false, false),
            (false, false, false),
        ] {
            let v = Viewer::Customer(Box::new(CustomerViewer {
                account: me.clone(),
                independent_access: false,
                sub_accounts_can_order: can_order,
                main_manages: manages,
            }));
            let result = authorize(&v, Action::Order, Target::Account(&me));
            assert_eq!(result.is_ok(), allowed, "{can_order} {manages}");
            if !allowed {
                assert!(
                    matches!(&result, Err(AppError::User(e)) if e[0].code == UserErrorCode::NotAllowedBySettings),
                    "a switch refuses as a setting: {result:?}"
                );
            }
        }
        // An independent sub-account pays itself: no switch applies.
        let independent = account(3, Some((1, SubAccountType::Independent)), false);
        let v = Viewer::Customer(Box::new(CustomerViewer {
            account: independent.clone(),
            independent_access: false,
            sub_accounts_can_order: false,
            main_manages: false,
        }));
        assert!(authorize(&v, Action::Order, Target::Account(&independent)).is_ok());
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
            Err(AppError::Denied(_))
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
        for action in [Action::See, Action::ManageTickets] {
            assert!(matches!(
                authorize(&main, action, Target::Ticket(&t, &sub)),
                Err(AppError::NotFound)
            ));
        }
        let own = customer(sub.clone(), false);
        assert!(authorize(&own, Action::ManageTickets, Target::Ticket(&t, &sub)).is_ok());
        t.hidden_from_main = false;
        assert!(authorize(&main, Action::See, Target::Ticket(&t, &sub)).is_ok());
        assert_eq!(
            ticket_scope(&main, &sub),
            TicketScope::NotHidden,
            "the main's list of a sub-account's tickets"
        );
    }

    #[test]
    fn a_sub_account_sees_the_orders_it_placed_and_not_those_its_main_placed_for_it() {
        let main = account(1, None, true);
        let sub = account(2, Some((1, SubAccountType::Aggregated)), false);
        let by_main = order(2, 1, 1);
        let asked = order(2, 2, 1);
        let v = customer(sub.clone(), false);
        assert!(matches!(
            authorize(&v, Action::See, Target::Order(&by_main, &sub)),
            Err(AppError::NotFound)
        ));
        assert!(authorize(&v, Action::See, Target::Order(&asked, &sub)).is_ok());
        assert!(!account_sees_order(&sub, &by_main));
        assert!(account_sees_order(&sub, &asked));
        assert_eq!(order_scope(&v, &sub), OrderScope::PlacedByAccount);
        let m = customer(main.clone(), false);
        for o in [&by_main, &asked] {
            assert!(authorize(&m, Action::See, Target::Order(o, &sub)).is_ok());
            assert!(authorize(&m, Action::ManageOrders, Target::Order(o, &sub)).is_ok());
        }
        // Management off: the main still sees what it pays for, but cannot act on it.
        let off = customer(account(1, None, false), false);
        assert!(authorize(&off, Action::See, Target::Order(&asked, &sub)).is_ok());
        assert!(matches!(
            authorize(&off, Action::ManageOrders, Target::Order(&asked, &sub)),
            Err(AppError::Denied(_))
        ));
    }

    #[test]
    fn objects_of_an_account_are_seen_with_the_permission_that_opens_them() {
        let sub = account(2, Some((1, SubAccountType::Aggregated)), false);
        let off = customer(account(1, None, false), false);
        let now = Utc::now();
        let s = service::Model {
            id: 1,
            account_id: 2,
            tariff_id: 1,
            description: String::new(),
            status: entity::enums::ServiceStatus::Active,
            billing_period: entity::enums::BillingPeriod::Monthly,
            price_minor: 0,
            start_date: None,
            end_date: None,
            paid_through: None,
            created_at: now,
            updated_at: now,
        };
        assert!(matches!(
            authorize(&off, Action::See, Target::Service(&s, &sub)),
            Err(AppError::Denied(_))
        ));
        let on = customer(account(1, None, true), false);
        assert!(authorize(&on, Action::See, Target::Service(&s, &sub)).is_ok());
        let stranger = customer(account(9, None, true), true);
        assert!(matches!(
            authorize(&stranger, Action::See, Target::Service(&s, &sub)),
            Err(AppError::NotFound)
        ));
    }

    #[test]
    fn a_main_accounts_own_ticket_list_takes_in_the_sub_accounts_it_manages_tickets_for() {
        let main = account(1, None, true);
        assert_eq!(
            ticket_scope(&customer(main.clone(), false), &main),
            TicketScope::WithSubAccounts(vec![SubAccountType::Aggregated])
        );
        assert_eq!(
            ticket_scope(&customer(main.clone(), true), &main),
            TicketScope::WithSubAccounts(vec![
                SubAccountType::Aggregated,
                SubAccountType::Independent
            ])
        );
        let off = account(1, None, false);
        assert_eq!(
            ticket_scope(&customer(off.clone(), true), &off),
            TicketScope::All
        );
    }
}
