//! Each visibility scope once, both halves: for rows generated across every relation an
//! account can have to a viewer (its own, its sub-accounts of both kinds under both switches,
//! strangers; hidden and shown tickets; orders placed and paid by either side; derived records
//! about any of them), the SQL condition of `policy::scope` selects exactly the rows the Rust
//! rule (`policy::authorize(viewer, See, …)`, and a derived record's objects) lets the viewer
//! see, for every kind of viewer, on both engines.

mod counts;
mod rules;

use std::collections::BTreeSet;

use chrono::Utc;
use rand::{Rng, SeedableRng, rngs::StdRng};
use sea_orm::{
    ActiveModelTrait, DatabaseConnection, EntityTrait, QueryFilter, Set, sea_query::Condition,
};
use serde_json::json;

use entity::{
    account, activity, document,
    enums::{
        BillingPeriod, DocumentKind, InvoiceKind, InvoiceStatus, NotificationKind, OrderStatus,
        ServiceStatus, TicketPriority, TicketStatus,
    },
    internet_session, invoice, notification, order, service, ticket, ticket_message, voice_call,
};
use portal_api::{
    auth::{CustomerViewer, StaffViewer, Viewer},
    domain::{
        self,
        record::{Reader, Rows, Wanted},
    },
    policy::{self, Action, Target, scope},
};

use crate::helpers::{TestApp, decode_pk};

/// The rows of the world, as inserted.
#[derive(Default)]
struct World {
    accounts: Vec<account::Model>,
    services: Vec<service::Model>,
    documents: Vec<document::Model>,
    invoices: Vec<invoice::Model>,
    tickets: Vec<ticket::Model>,
    messages: Vec<ticket_message::Model>,
    orders: Vec<order::Model>,
    sessions: Vec<internet_session::Model>,
    calls: Vec<voice_call::Model>,
    activity: Vec<activity::Model>,
    notifications: Vec<notification::Model>,
}

impl World {
    fn owner(&self, id: i64) -> &account::Model {
        self.accounts
            .iter()
            .find(|a| a.id == id)
            .expect("an owner in the world")
    }
}

/// Accounts through the API (links and switches as staff set them): two main accounts, one
/// managing and one not, each with an aggregated and an independent sub-account, and a
/// standalone account.
async fn accounts(app: &TestApp) -> Vec<String> {
    let mut ids = Vec::new();
    for (i, management) in [true, false].into_iter().enumerate() {
        let main = app
            .create_account(&format!("scope-main-{i}"), json!({ "status": "ACTIVE" }))
            .await;
        for kind in ["AGGREGATED", "INDEPENDENT"] {
            let sub = app
                .create_account(&format!("scope-{kind}-{i}"), json!({ "status": "ACTIVE" }))
                .await;
            assert_eq!(app.link(&main, &sub, kind).await, json!([]));
            ids.push(sub);
        }
        app.set_management(&main, management).await;
        ids.push(main);
    }
    ids.push(
        app.create_account("scope-alone", json!({ "status": "ACTIVE" }))
            .await,
    );
    ids
}

async fn world(app: &TestApp, db: &DatabaseConnection) -> World {
    let ids = accounts(app).await;
    let mut w = World::default();
    for id in &ids {
        w.accounts.push(
            account::Entity::find_by_id(decode_pk(id))
                .one(db)
                .await
                .expect("query")
                .expect("account"),
        );
    }
    let tariff = app.create_tariff("Scope tariff", "10.00").await;
    let now = Utc::now();
    let mut rng = StdRng::seed_from_u64(27);
    let accounts = w.accounts.clone();
    for (n, a) in accounts.iter().enumerate() {
        let service = service::ActiveModel {
            account_id: Set(a.id),
            tariff_id: Set(decode_pk(&tariff)),
            description: Set(format!("Line {n}")),
            status: Set(ServiceStatus::Active),
            billing_period: Set(BillingPeriod::Monthly),
            price_minor: Set(100_000),
            start_date: Set(None),
            end_date: Set(None),
            paid_through: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await
        .expect("service");
        w.sessions.push(
            internet_session::ActiveModel {
                service_id: Set(service.id),
                account_id: Set(a.id),
                started_at: Set(now),
                ended_at: Set(now),
                day: Set(now.date_naive()),
                download_bytes: Set(1),
                upload_bytes: Set(1),
                duration_seconds: Set(1),
                ..Default::default()
            }
            .insert(db)
            .await
            .expect("session"),
        );
        w.calls.push(
            voice_call::ActiveModel {
                service_id: Set(service.id),
                account_id: Set(a.id),
                started_at: Set(now),
                destination: Set("+49 30 1".into()),
                duration_seconds: Set(1),
                cost_minor: Set(1),
                ..Default::default()
            }
            .insert(db)
            .await
            .expect("call"),
        );
        w.services.push(service);
        w.documents.push(
            document::ActiveModel {
                account_id: Set(a.id),
                kind: Set(DocumentKind::Contract),
                title: Set(format!("Contract {n}")),
                content_type: Set("application/pdf".into()),
                size_bytes: Set(1),
                sha256: Set(String::new()),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await
            .expect("document"),
        );
        w.invoices.push(
            invoice::ActiveModel {
                number: Set(format!("SCOPE-INV-{n}")),
                account_id: Set(a.id),
                kind: Set(InvoiceKind::OneTime),
                status: Set(InvoiceStatus::Paid),
                subtotal_minor: Set(1),
                tax_minor: Set(0),
                total_minor: Set(1),
                period_start: Set(None),
                order_id: Set(None),
                document_id: Set(None),
                issued_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await
            .expect("invoice"),
        );
        for hidden in [false, true] {
            let t = ticket::ActiveModel {
                account_id: Set(a.id),
                created_by_id: Set(Some(a.id)),
                subject: Set(format!("Ticket {n} {hidden}")),
                status: Set(TicketStatus::New),
                priority: Set(TicketPriority::Low),
                hidden_from_main: Set(hidden),
                assignee_id: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await
            .expect("ticket");
            w.messages.push(
                ticket_message::ActiveModel {
                    ticket_id: Set(t.id),
                    author_account_id: Set(Some(a.id)),
                    author_staff_id: Set(None),
                    from_staff: Set(false),
                    body: Set("m".into()),
                    created_at: Set(now),
                    ..Default::default()
                }
                .insert(db)
                .await
                .expect("message"),
            );
            w.tickets.push(t);
        }
        // Orders of this account placed and paid by it or its main, in every combination.
        let main = a.main_account_id.unwrap_or(a.id);
        for (placed_by, payer) in [(a.id, a.id), (a.id, main), (main, main), (main, a.id)] {
            let i = w.orders.len();
            w.orders.push(
                order::ActiveModel {
                    number: Set(format!("SCOPE-ORD-{i}")),
                    account_id: Set(a.id),
                    placed_by_id: Set(placed_by),
                    payer_id: Set(payer),
                    status: Set(OrderStatus::Paid),
                    subtotal_minor: Set(1),
                    tax_minor: Set(0),
                    total_minor: Set(1),
                    payment_method: Set(None),
                    paid_at: Set(None),
                    invoice_id: Set(None),
                    rejection_reason: Set(None),
                    failure: Set(None),
                    expires_at: Set(None),
                    reminded_at: Set(None),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(db)
                .await
                .expect("order"),
            );
        }
    }
    // Derived records on every account, about objects drawn from the whole world (their own
    // or anyone's), and none.
    let pick = |rng: &mut StdRng, ids: Vec<i64>| -> Option<i64> {
        rng.gen_bool(0.5).then(|| ids[rng.gen_range(0..ids.len())])
    };
    for a in &accounts {
        for _ in 0..12 {
            let order = pick(&mut rng, w.orders.iter().map(|o| o.id).collect());
            let invoice = pick(&mut rng, w.invoices.iter().map(|i| i.id).collect());
            let ticket = pick(&mut rng, w.tickets.iter().map(|t| t.id).collect());
            let service = pick(&mut rng, w.services.iter().map(|s| s.id).collect());
            w.activity.push(
                activity::ActiveModel {
                    account_id: Set(a.id),
                    action: Set("scope.test".into()),
                    details: Set("{}".into()),
                    created_at: Set(now),
                    order_id: Set(order),
                    invoice_id: Set(invoice),
                    ticket_id: Set(ticket),
                    service_id: Set(service),
                    ..Default::default()
                }
                .insert(db)
                .await
                .expect("entry"),
            );
            w.notifications.push(
                notification::ActiveModel {
                    account_id: Set(a.id),
                    kind: Set(NotificationKind::TicketUpdated),
                    facts: Set("{}".into()),
                    order_id: Set(order),
                    ticket_id: Set(ticket),
                    service_id: Set(service),
                    invoice_id: Set(invoice),
                    created_at: Set(now),
                    read_at: Set(None),
                    ..Default::default()
                }
                .insert(db)
                .await
                .expect("notification"),
            );
        }
    }
    w
}

/// Every kind of viewer: each account with the global switch off and on, staff, the system
/// and an anonymous caller.
fn viewers(w: &World) -> Vec<(String, Viewer)> {
    let mut out = vec![
        (
            "staff".to_string(),
            Viewer::Admin(StaffViewer {
                id: 1,
                full_name: "Staff".into(),
            }),
        ),
        ("system".to_string(), Viewer::System),
        ("anonymous".to_string(), Viewer::Anonymous),
    ];
    for a in &w.accounts {
        for independent_access in [false, true] {
            out.push((
                format!("{} (independent access {independent_access})", a.login),
                Viewer::Customer(Box::new(CustomerViewer {
                    account: a.clone(),
                    independent_access,
                    sub_accounts_can_order: true,
                    main_manages: true,
                })),
            ));
        }
    }
    out
}

async fn ids_in<E: EntityTrait>(
    db: &DatabaseConnection,
    id: E::Column,
    scope: Condition,
    ids: impl Iterator<Item = i64>,
) -> BTreeSet<i64>
where
    E::Model: sea_orm::ModelTrait,
{
    use sea_orm::{
        QuerySelect,
        sea_query::{Expr, ExprTrait},
    };
    E::find()
        .select_only()
        .column(id)
        .filter(Expr::col(id).is_in(ids.collect::<Vec<_>>()))
        .filter(scope)
        .into_tuple::<i64>()
        .all(db)
        .await
        .expect("scope query")
        .into_iter()
        .collect()
}

fn sees(viewer: &Viewer, target: Target<'_>) -> bool {
    policy::authorize(viewer, Action::See, target).is_ok()
}
