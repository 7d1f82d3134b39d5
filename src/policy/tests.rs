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
        must_change_password: false,
        spending_cap_minor: None,
        auto_approve_minor: None,
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
        failure: None,
        expires_at: None,
        reminded_at: None,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
}

const ALL: [Action; 15] = [
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
    Action::SetSpendingControls,
    Action::TransferBalance,
];

/// Actions a main account may take on an independent sub-account (with access on).
const INDEPENDENT_YES: [Action; 7] = [
    Action::See,
    Action::ViewDetails,
    Action::PauseServices,
    Action::ViewInternetUsage,
    Action::ViewDocuments,
    Action::ManageTickets,
    Action::TransferBalance,
];

/// (column, management, independent access, sub type, expected for an action)
fn expected(management: bool, access: bool, kind: SubAccountType, action: Action) -> bool {
    match (management, kind) {
        _ if action == Action::See => true,
        (false, _) => false,
        // An aggregated sub-account's money is its main's: nothing to transfer.
        (true, SubAccountType::Aggregated) => action != Action::TransferBalance,
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
fn an_account_may_do_everything_to_itself_but_approve_its_own_orders_and_control_itself() {
    let me = account(2, Some((1, SubAccountType::Aggregated)), false);
    let v = customer(me.clone(), false);
    for action in ALL {
        assert_eq!(
            authorize(&v, action, Target::Account(&me)).is_ok(),
            !matches!(
                action,
                Action::ManageOrders
                    | Action::SetSpendingControls
                    | Action::TransferBalance
                    // Its main pays: it has no invoices of its own.
                    | Action::ViewBilling
            ),
            "{action:?}"
        );
    }
    let independent = account(3, Some((1, SubAccountType::Independent)), false);
    let v = customer(independent.clone(), false);
    assert!(authorize(&v, Action::ViewBilling, Target::Account(&independent)).is_ok());
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
fn admins_may_do_all_but_what_only_an_account_holder_does_and_anonymous_nothing() {
    let main = account(1, None, false);
    let aggregated = account(2, Some((1, SubAccountType::Aggregated)), false);
    let independent = account(3, Some((1, SubAccountType::Independent)), false);
    let admin = Viewer::Admin(StaffViewer {
        id: 1,
        full_name: "S".into(),
    });
    for staff in [&admin, &Viewer::System] {
        for a in [&main, &aggregated, &independent] {
            for action in ALL.into_iter().chain([Action::Administer]) {
                let want = match action {
                    // A cart and a transfer from one's own balance are an account holder's.
                    Action::Order | Action::TransferBalance => false,
                    Action::SetSpendingControls => a.id == aggregated.id,
                    _ => true,
                };
                let got = authorize(staff, action, Target::Account(a));
                assert_eq!(got.is_ok(), want, "{action:?} on {}", a.id);
                if !want {
                    assert!(matches!(got, Err(AppError::Denied(d)) if d == action));
                }
            }
            assert!(matches!(
                authorize(&Viewer::Anonymous, Action::See, Target::Account(a)),
                Err(AppError::Unauthenticated(_))
            ));
        }
    }
    let a = main;
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
        assignee_id: None,
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

/// An account read with only the columns `kept` (the others blank, as a narrow read leaves
/// them: `db::rows::Columns`).
fn columns_only(a: &account::Model, kept: &[&str]) -> account::Model {
    let kept = |name: &str| kept.contains(&name);
    let blank_text = |name: &str, v: &String| if kept(name) { v.clone() } else { String::new() };
    account::Model {
        login: blank_text("login", &a.login),
        password_hash: blank_text("password_hash", &a.password_hash),
        full_name: blank_text("full_name", &a.full_name),
        email: a.email.clone().filter(|_| kept("email")),
        street: blank_text("street", &a.street),
        city: blank_text("city", &a.city),
        zip_code: blank_text("zip_code", &a.zip_code),
        country: blank_text("country", &a.country),
        search_text: blank_text("search_text", &a.search_text),
        currency: blank_text("currency", &a.currency),
        balance_minor: if kept("balance_minor") {
            a.balance_minor
        } else {
            0
        },
        linked_at: a.linked_at.filter(|_| kept("linked_at")),
        spending_cap_minor: a.spending_cap_minor.filter(|_| kept("spending_cap_minor")),
        auto_approve_minor: a.auto_approve_minor.filter(|_| kept("auto_approve_minor")),
        created_at: if kept("created_at") {
            a.created_at
        } else {
            Default::default()
        },
        updated_at: if kept("updated_at") {
            a.updated_at
        } else {
            Default::default()
        },
        ..a.clone()
    }
}

/// Accounts of every kind, with the columns a narrow read leaves out filled in.
fn targets() -> Vec<account::Model> {
    let mut targets = Vec::new();
    for kind in [SubAccountType::Aggregated, SubAccountType::Independent] {
        for main in [1, 3] {
            let mut sub = account(2, Some((main, kind)), false);
            sub.email = Some("sub@example.com".into());
            sub.balance_minor = 12_345;
            sub.spending_cap_minor = Some(100);
            sub.auto_approve_minor = Some(50);
            targets.push(sub);
        }
    }
    targets.push(account(1, None, true));
    targets.push(account(4, None, false));
    targets
}

/// Viewers of every kind: staff, the server, nobody, mains and sub-accounts with and
/// without management and independent access.
fn viewers() -> Vec<Viewer> {
    let admin = Viewer::Admin(StaffViewer {
        id: 1,
        full_name: "S".into(),
    });
    let mut viewers = vec![admin, Viewer::System, Viewer::Anonymous];
    for management in [false, true] {
        for access in [false, true] {
            viewers.push(customer(account(1, None, management), access));
            viewers.push(customer(
                account(2, Some((1, SubAccountType::Aggregated)), management),
                access,
            ));
        }
    }
    viewers
}

#[test]
fn an_account_is_decided_by_its_policy_columns_alone() {
    let targets = targets();
    for viewer in &viewers() {
        for target in &targets {
            let narrow = columns_only(target, ACCOUNT_COLUMNS);
            assert_ne!(&narrow, target, "the narrow row leaves columns out");
            for action in ALL
                .into_iter()
                .chain([Action::Administer, Action::HideTicketFromMain])
            {
                let whole = authorize(viewer, action, Target::Account(target)).is_ok();
                let read = authorize(viewer, action, Target::Account(&narrow)).is_ok();
                assert_eq!(whole, read, "{action:?} on {} by {viewer:?}", target.id);
            }
        }
    }
}

/// The reader of derived records (`domain::record::Reader`) names and decides about an
/// account read with only its columns as about the whole row.
#[test]
fn a_reader_names_an_account_from_its_columns_alone() {
    use crate::domain::record::{Guard, Reader, Ref, Rows, account_columns};
    let kept: Vec<&str> = account_columns().collect();
    let rows = |a: account::Model| Rows {
        accounts: [(a.id, a)].into(),
        ..Default::default()
    };
    for viewer in &viewers() {
        for target in targets() {
            let narrow = rows(columns_only(&target, &kept));
            assert_ne!(narrow.accounts[&target.id], target, "columns are left out");
            let id = target.id;
            let whole = rows(target);
            let (whole, narrow) = (Reader::new(viewer, &whole), Reader::new(viewer, &narrow));
            assert_eq!(
                whole.account_name(id),
                narrow.account_name(id),
                "{viewer:?}"
            );
            for guard in [
                Guard::Sees(Ref::Account(id)),
                Guard::Balance(id),
                Guard::Billing(id),
            ] {
                assert_eq!(whole.passes(guard), narrow.passes(guard), "{guard:?}");
            }
        }
    }
}
