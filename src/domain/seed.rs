//! Demo data for `serve --demo` and `seed --demo`: an admin, a main account with a dozen
//! sub-accounts of every status and both types, a standalone customer, tariffs and services
//! in several states. Accounts, links and switches go through the same domain functions as
//! the API; services are placed directly (they stand for history that predates the portal).

use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, PaginatorTrait, Set};

use entity::{
    account,
    enums::{AccountStatus, BillingMode, BillingPeriod, ServiceStatus, SubAccountType, TariffKind},
    service, service_pause, staff_user, tariff,
};

use super::{
    account::{Address, NewAccount},
    catalog::NewTariff,
};
use crate::{
    auth::{StaffViewer, Viewer, password},
    error::AppResult,
};

pub const ADMIN_LOGIN: &str = "staff";
pub const ADMIN_PASSWORD: &str = "staff-demo-pass";
pub const MAIN_LOGIN: &str = "main";
pub const SUB_LOGIN: &str = "sub01";
pub const DEMO_PASSWORD: &str = "demo-pass";

/// Printed by the CLI after seeding.
pub fn credentials() -> String {
    format!(
        "Demo logins (password in brackets):\n  \
         admin:        {ADMIN_LOGIN} ({ADMIN_PASSWORD})\n  \
         main account: {MAIN_LOGIN} ({DEMO_PASSWORD}) with 12 sub-accounts, management on\n  \
         sub-account:  {SUB_LOGIN} ({DEMO_PASSWORD}), aggregated\n  \
         standalone:   solo ({DEMO_PASSWORD})"
    )
}

/// Seeds the demo data unless the database already has accounts. Returns whether it seeded.
pub async fn demo(db: &DatabaseConnection) -> AppResult<bool> {
    if account::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    let now = super::now();
    let staff = staff_user::ActiveModel {
        login: Set(ADMIN_LOGIN.into()),
        password_hash: Set(password::hash(ADMIN_PASSWORD.into()).await?),
        full_name: Set("Demo Staff".into()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let admin = Viewer::Admin(StaffViewer {
        id: staff.id,
        full_name: staff.full_name,
    });

    let tariffs = demo_tariffs(db, &admin).await?;
    let address = |street: &str, city: &str| Address {
        street: street.into(),
        city: city.into(),
        zip_code: "10115".into(),
        country: "DE".into(),
    };
    let new = |login: &str, name: &str, status, mode, street: &str, city: &str| NewAccount {
        login: login.into(),
        password: DEMO_PASSWORD.into(),
        full_name: name.into(),
        email: Some(format!("{login}@example.net")),
        partner_id: None,
        status,
        billing_mode: mode,
        address: address(street, city),
    };
    let main = super::account::create(
        db,
        &admin,
        new(
            MAIN_LOGIN,
            "Northwind Holdings",
            AccountStatus::Active,
            BillingMode::Recurring,
            "1 Harbour Road",
            "Berlin",
        ),
    )
    .await?;
    super::account::set_management(db, &admin, main.id, true).await?;
    super::account::create(
        db,
        &admin,
        new(
            "solo",
            "Sam Solo",
            AccountStatus::Active,
            BillingMode::Prepaid,
            "9 Quiet Lane",
            "Potsdam",
        ),
    )
    .await?;

    use AccountStatus::*;
    use SubAccountType::*;
    let subs: [(&str, AccountStatus, SubAccountType, &str); 12] = [
        ("Northwind Branch Mitte", Active, Aggregated, "Mitte"),
        ("Northwind Branch Pankow", Active, Aggregated, "Pankow"),
        ("Northwind Warehouse", Active, Aggregated, "Spandau"),
        ("Northwind Kiosk", New, Aggregated, "Wedding"),
        ("Northwind Outlet", Blocked, Aggregated, "Neukölln"),
        ("Northwind Old Depot", Inactive, Aggregated, "Lichtenberg"),
        ("Anna Family", Active, Independent, "Charlottenburg"),
        ("Ben Family", Active, Independent, "Steglitz"),
        ("Tenant 3A", New, Independent, "Kreuzberg"),
        ("Tenant 4B", Blocked, Independent, "Friedrichshain"),
        ("Tenant 5C", Inactive, Independent, "Tempelhof"),
        ("Northwind Lab", Active, Aggregated, "Adlershof"),
    ];
    for (i, (name, status, kind, district)) in subs.into_iter().enumerate() {
        let login = format!("sub{:02}", i + 1);
        let street = format!("{} Market Street", i + 2);
        let sub = super::account::create(
            db,
            &admin,
            new(
                &login,
                name,
                status,
                BillingMode::Recurring,
                &street,
                &format!("Berlin-{district}"),
            ),
        )
        .await?;
        super::account::link(db, &admin, main.id, sub.id, kind).await?;
        // Services in several states: the first always, more for active accounts.
        let states: &[ServiceStatus] = match status {
            Active => &[
                ServiceStatus::Active,
                ServiceStatus::Active,
                ServiceStatus::Paused,
            ],
            New => &[ServiceStatus::Pending],
            Blocked => &[ServiceStatus::Paused, ServiceStatus::Disabled],
            Inactive => &[ServiceStatus::Disabled, ServiceStatus::Archived],
        };
        for (j, state) in states.iter().enumerate() {
            let t = &tariffs[(i + j) % tariffs.len()];
            let placed = place_service(
                db,
                sub.id,
                t,
                *state,
                now.date_naive() - Duration::days(30 + j as i64 * 10),
            )
            .await?;
            if *state == ServiceStatus::Active {
                usage_month(db, &placed, t.kind).await?;
            }
        }
        if status == Active {
            care(db, &admin, &sub, kind, i).await?;
        }
    }
    place_service(
        db,
        main.id,
        &tariffs[2],
        ServiceStatus::Active,
        now.date_naive() - Duration::days(90),
    )
    .await?;
    Ok(true)
}

pub(crate) async fn demo_tariffs(
    db: &DatabaseConnection,
    admin: &Viewer,
) -> AppResult<Vec<tariff::Model>> {
    let specs = [
        (
            "Fiber 100",
            TariffKind::Internet,
            BillingPeriod::Monthly,
            "29.90",
            Some((100_000, 20_000)),
            true,
        ),
        (
            "Fiber 500",
            TariffKind::Internet,
            BillingPeriod::Monthly,
            "49.90",
            Some((500_000, 100_000)),
            true,
        ),
        (
            "Business Fiber 1000",
            TariffKind::Internet,
            BillingPeriod::Monthly,
            "99.00",
            Some((1_000_000, 500_000)),
            false,
        ),
        (
            "Voice Flat",
            TariffKind::Voice,
            BillingPeriod::Monthly,
            "9.99",
            None,
            false,
        ),
        (
            "Static IP",
            TariffKind::Custom,
            BillingPeriod::Monthly,
            "5.00",
            None,
            false,
        ),
        (
            "Installation",
            TariffKind::Custom,
            BillingPeriod::OneTime,
            "79.00",
            None,
            false,
        ),
    ];
    let mut out = Vec::new();
    for (name, kind, period, price, speeds, self_change) in specs {
        let price: Decimal = price
            .parse()
            .map_err(|e: rust_decimal::Error| crate::error::AppError::Internal(e.into()))?;
        out.push(
            super::catalog::create_tariff(
                db,
                admin,
                NewTariff {
                    name: name.into(),
                    kind,
                    period,
                    price,
                    tax_percent: Decimal::from(19),
                    allows_self_change: self_change,
                    download_speed_kbps: speeds.map(|s| s.0),
                    upload_speed_kbps: speeds.map(|s| s.1),
                },
            )
            .await?,
        );
    }
    // Monthly tariffs only for the services placed below.
    out.retain(|t| t.period == BillingPeriod::Monthly);
    Ok(out)
}

/// Places a service in the given state, as if it had been ordered and approved long ago.
pub async fn place_service(
    db: &DatabaseConnection,
    account_id: i64,
    t: &tariff::Model,
    status: ServiceStatus,
    start: NaiveDate,
) -> AppResult<service::Model> {
    let now = super::now();
    let started = status != ServiceStatus::Pending;
    let placed = service::ActiveModel {
        account_id: Set(account_id),
        tariff_id: Set(t.id),
        description: Set(t.name.clone()),
        status: Set(status),
        billing_period: Set(t.period),
        price_minor: Set(t.price_minor),
        start_date: Set(started.then_some(start)),
        end_date: Set(
            matches!(status, ServiceStatus::Disabled | ServiceStatus::Archived)
                .then_some(start + Duration::days(20)),
        ),
        paid_through: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    super::service::record_rate(db, &placed, t, start).await?;
    if status == ServiceStatus::Paused {
        // Paused since its start: billing skips every day of it.
        service_pause::ActiveModel {
            service_id: Set(placed.id),
            paused_on: Set(start),
            resumed_on: Set(None),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(placed)
}

/// A month of usage for an active service: one Internet session a day, or a few calls a day.
async fn usage_month(
    db: &DatabaseConnection,
    s: &service::Model,
    kind: TariffKind,
) -> AppResult<()> {
    use entity::{internet_session, voice_call};
    let today = super::now().date_naive();
    for back in 1..=30i64 {
        let day = today - Duration::days(back);
        let start = day.and_hms_opt(18, 0, 0).unwrap_or_default().and_utc();
        // Deterministic but varied figures.
        let n = (s.id * 31 + back * 7) % 97;
        match kind {
            TariffKind::Voice => {
                for call in 0..(n % 4) {
                    voice_call::ActiveModel {
                        service_id: Set(s.id),
                        account_id: Set(s.account_id),
                        started_at: Set(start + Duration::minutes(call * 17)),
                        destination: Set(format!("+49301234{:03}", n + call)),
                        duration_seconds: Set((30 + n * 7 + call * 13) as i32),
                        cost_minor: Set(150 * (1 + call)),
                        ..Default::default()
                    }
                    .insert(db)
                    .await?;
                }
            }
            _ => {
                let seconds = 1_800 + n * 60;
                internet_session::ActiveModel {
                    service_id: Set(s.id),
                    account_id: Set(s.account_id),
                    started_at: Set(start),
                    ended_at: Set(start + Duration::seconds(seconds)),
                    day: Set(day),
                    download_bytes: Set(1_500_000_000 + n * 37_000_000),
                    upload_bytes: Set(120_000_000 + n * 3_000_000),
                    duration_seconds: Set(seconds),
                    ..Default::default()
                }
                .insert(db)
                .await?;
            }
        }
    }
    Ok(())
}

/// A ticket the sub-account opened (every other one hidden from its main) and a contract.
async fn care(
    db: &DatabaseConnection,
    admin: &Viewer,
    sub: &account::Model,
    kind: SubAccountType,
    i: usize,
) -> AppResult<()> {
    use entity::enums::{DocumentKind, TicketPriority};
    let me = Viewer::Customer(Box::new(crate::auth::CustomerViewer {
        account: sub.clone(),
        independent_access: false,
    }));
    let hidden = i % 2 == 1;
    let subject = if hidden {
        "Question about my own contract"
    } else {
        "Internet drops in the evening"
    };
    super::ticket::create(
        db,
        &me,
        None,
        subject,
        "Since Monday the line drops around 8 pm.",
        TicketPriority::High,
        hidden,
    )
    .await?;
    let contract = super::pdf::render_invoice(&super::pdf::InvoiceDocument {
        heading: format!("Service contract C-{:04}", sub.id),
        issued_on: super::now().format("%Y-%m-%d").to_string(),
        payer_name: sub.full_name.clone(),
        payer_address: format!("{}, {}", sub.street, sub.city),
        currency: sub.currency.clone(),
        lines: Vec::new(),
        subtotals: Vec::new(),
        subtotal: "-".into(),
        tax: "-".into(),
        total: if kind == SubAccountType::Aggregated {
            "billed to the main account".into()
        } else {
            "billed to the account".into()
        },
    });
    super::document::upload(
        db,
        admin,
        sub.id,
        DocumentKind::Contract,
        &format!("Service contract {}", sub.full_name),
        contract,
    )
    .await?;
    Ok(())
}
