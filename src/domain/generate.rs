//! The benchmark's data generator (`portal-api seed --bench --mains M --subs-per-main S`):
//! partners, main accounts with aggregated and independent sub-accounts across every status,
//! 1–5 services each (with their price history), links, tickets, contracts and a month of
//! Internet sessions and voice calls.
//!
//! Bulk paths, not the workflows: rows are built in memory with their ids (continuing after
//! the largest id in each table) and written with multi-row `INSERT`s, one transaction per
//! batch of main accounts; PostgreSQL's sequences are moved past the new ids at the end.
//! Every account shares one password hash (`bench-pass`), so no time goes into argon2.
//! Each main account's data comes from a random generator seeded with its position (usage
//! from one seeded with the service), so two databases filled with different sizes or usage
//! days hold the same first main accounts.

use std::io::{IsTerminal, Write};

use chrono::{Duration, NaiveDate, Utc};
use rand::{Rng, SeedableRng, rngs::StdRng};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    EntityTrait, Iterable, PaginatorTrait, QueryFilter, QuerySelect, Set, sea_query::Expr,
};

use entity::{
    account, account_link, document, document_content,
    enums::{
        AccountStatus, BillingMode, BillingPeriod, DocumentKind, ServiceStatus, SubAccountType,
        TariffKind, TicketPriority, TicketStatus,
    },
    internet_session, partner, service, service_pause, service_rate, tariff, ticket,
    ticket_message, voice_call,
};

use super::account::{Address, NewRow};
use crate::{auth::password, error::AppResult};

/// The password of every generated account.
pub const BENCH_PASSWORD: &str = "bench-pass";

/// How much to generate.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub mains: u32,
    pub subs_per_main: u32,
    /// Days of usage per active service (one session or call a day).
    pub usage_days: u32,
}

/// What was written.
#[derive(Debug, Default, Clone, Copy)]
pub struct Generated {
    pub accounts: u64,
    pub services: u64,
    pub tickets: u64,
    pub documents: u64,
    pub usage_rows: u64,
}

/// Main accounts per transaction.
const MAINS_PER_BATCH: u32 = 50;

/// Rows under the bind-parameter limit of both engines (SQLite: 32,766).
async fn insert_all<A, C>(db: &C, rows: Vec<A>) -> AppResult<()>
where
    A: ActiveModelTrait + Send,
    C: ConnectionTrait,
{
    let columns = <<A::Entity as EntityTrait>::Column as Iterable>::iter().count();
    let per = (30_000 / columns.max(1)).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(per).collect();
        <A::Entity as EntityTrait>::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// The next free id of a table.
async fn next_id<E: EntityTrait, C: ConnectionTrait>(db: &C) -> AppResult<i64> {
    let max: Option<Option<i64>> = E::find()
        .select_only()
        .column_as(Expr::cust("MAX(id)"), "m")
        .into_tuple()
        .one(db)
        .await?;
    Ok(max.flatten().unwrap_or(0) + 1)
}

/// Id counters of every table the generator writes.
struct Ids {
    partner: i64,
    account: i64,
    service: i64,
    rate: i64,
    pause: i64,
    link: i64,
    ticket: i64,
    message: i64,
    document: i64,
    session: i64,
    call: i64,
}

impl Ids {
    async fn load<C: ConnectionTrait>(db: &C) -> AppResult<Ids> {
        Ok(Ids {
            partner: next_id::<partner::Entity, _>(db).await?,
            account: next_id::<account::Entity, _>(db).await?,
            service: next_id::<service::Entity, _>(db).await?,
            rate: next_id::<service_rate::Entity, _>(db).await?,
            pause: next_id::<service_pause::Entity, _>(db).await?,
            link: next_id::<account_link::Entity, _>(db).await?,
            ticket: next_id::<ticket::Entity, _>(db).await?,
            message: next_id::<ticket_message::Entity, _>(db).await?,
            document: next_id::<document::Entity, _>(db).await?,
            session: next_id::<internet_session::Entity, _>(db).await?,
            call: next_id::<voice_call::Entity, _>(db).await?,
        })
    }
}

fn take(counter: &mut i64) -> i64 {
    let id = *counter;
    *counter += 1;
    id
}

/// Rows of one batch, written together.
#[derive(Default)]
struct Batch {
    accounts: Vec<account::ActiveModel>,
    links: Vec<account_link::ActiveModel>,
    services: Vec<service::ActiveModel>,
    rates: Vec<service_rate::ActiveModel>,
    pauses: Vec<service_pause::ActiveModel>,
    tickets: Vec<ticket::ActiveModel>,
    messages: Vec<ticket_message::ActiveModel>,
    documents: Vec<document::ActiveModel>,
    contents: Vec<document_content::ActiveModel>,
    sessions: Vec<internet_session::ActiveModel>,
    calls: Vec<voice_call::ActiveModel>,
}

impl Batch {
    async fn write(self, db: &DatabaseConnection, out: &mut Generated) -> AppResult<()> {
        out.accounts += self.accounts.len() as u64;
        out.services += self.services.len() as u64;
        out.tickets += self.tickets.len() as u64;
        out.documents += self.documents.len() as u64;
        out.usage_rows += (self.sessions.len() + self.calls.len()) as u64;
        let txn = super::write_txn(db).await?;
        // Parents first: accounts (mains before their subs, by id), then what refers to them.
        insert_all(&txn, self.accounts).await?;
        insert_all(&txn, self.links).await?;
        insert_all(&txn, self.services).await?;
        insert_all(&txn, self.rates).await?;
        insert_all(&txn, self.pauses).await?;
        insert_all(&txn, self.tickets).await?;
        insert_all(&txn, self.messages).await?;
        insert_all(&txn, self.documents).await?;
        insert_all(&txn, self.contents).await?;
        insert_all(&txn, self.sessions).await?;
        insert_all(&txn, self.calls).await?;
        txn.commit().await?;
        Ok(())
    }
}

const FIRST_NAMES: &[&str] = &[
    "Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hugo", "Ida", "Jonas", "Klara",
    "Leon", "Mia", "Noah", "Olga", "Paul",
];
const LAST_NAMES: &[&str] = &[
    "Schmidt", "Müller", "Weber", "Fischer", "Wagner", "Becker", "Hoffmann", "Koch", "Richter",
    "Klein", "Wolf", "Neumann",
];
const STREETS: &[&str] = &[
    "Hauptstraße",
    "Bahnhofstraße",
    "Gartenweg",
    "Lindenallee",
    "Schillerplatz",
    "Goethestraße",
];
const CITIES: &[&str] = &["Berlin", "Hamburg", "München", "Köln", "Leipzig", "Dresden"];

/// Status of a generated sub-account: mostly active, some of every other status.
fn sub_status(rng: &mut StdRng) -> AccountStatus {
    match rng.gen_range(0..100) {
        0..70 => AccountStatus::Active,
        70..80 => AccountStatus::New,
        80..90 => AccountStatus::Blocked,
        _ => AccountStatus::Inactive,
    }
}

/// Service states that fit an account's status.
fn service_status(account: AccountStatus, rng: &mut StdRng) -> ServiceStatus {
    match account {
        AccountStatus::Active if rng.gen_bool(0.85) => ServiceStatus::Active,
        AccountStatus::Active => ServiceStatus::Paused,
        AccountStatus::New => ServiceStatus::Pending,
        AccountStatus::Blocked if rng.gen_bool(0.5) => ServiceStatus::Paused,
        AccountStatus::Blocked => ServiceStatus::Disabled,
        AccountStatus::Inactive if rng.gen_bool(0.5) => ServiceStatus::Disabled,
        AccountStatus::Inactive => ServiceStatus::Archived,
    }
}

/// Everything shared by the whole run.
struct Shared {
    password_hash: String,
    tariffs: Vec<tariff::Model>,
    partners: Vec<i64>,
    contract: Vec<u8>,
    contract_sha: String,
    today: NaiveDate,
    usage_days: u32,
}

impl Shared {
    #[allow(clippy::too_many_arguments)]
    fn account(
        &self,
        batch: &mut Batch,
        ids: &mut Ids,
        rng: &mut StdRng,
        login: String,
        status: AccountStatus,
        main: Option<(i64, SubAccountType)>,
        management: bool,
    ) -> i64 {
        let id = take(&mut ids.account);
        let name = format!(
            "{} {}",
            FIRST_NAMES[rng.gen_range(0..FIRST_NAMES.len())],
            LAST_NAMES[rng.gen_range(0..LAST_NAMES.len())]
        );
        let address = Address {
            street: format!(
                "{} {}",
                STREETS[rng.gen_range(0..STREETS.len())],
                rng.gen_range(1..200)
            ),
            city: CITIES[rng.gen_range(0..CITIES.len())].into(),
            zip_code: format!("{:05}", rng.gen_range(10_000..99_999)),
            country: "DE".into(),
        };
        let now = Utc::now();
        let created = now - Duration::days(rng.gen_range(60..1_000));
        let linked = created + Duration::days(rng.gen_range(1..30));
        let mut row = super::account::row(NewRow {
            partner_id: self.partners[rng.gen_range(0..self.partners.len())],
            email: Some(format!("{login}@example.net")),
            login,
            password_hash: self.password_hash.clone(),
            full_name: name,
            status,
            billing_mode: if rng.gen_bool(0.8) {
                BillingMode::Recurring
            } else {
                BillingMode::Prepaid
            },
            address,
            created_at: created,
        });
        row.id = Set(id);
        row.main_account_id = Set(main.map(|m| m.0));
        row.sub_account_type = Set(main.map(|m| m.1));
        row.linked_at = Set(main.map(|_| linked));
        row.sub_account_management = Set(management);
        batch.accounts.push(row);
        if let Some((main_id, kind)) = main {
            batch.links.push(account_link::ActiveModel {
                id: Set(take(&mut ids.link)),
                sub_account_id: Set(id),
                main_account_id: Set(main_id),
                kind: Set(kind),
                linked_at: Set(linked),
                unlinked_at: Set(None),
            });
        }
        self.services(batch, ids, rng, id, status);
        if main.is_some() && rng.gen_bool(0.3) {
            self.ticket(batch, ids, rng, id);
        }
        if rng.gen_bool(0.5) {
            let doc = take(&mut ids.document);
            batch.documents.push(document::ActiveModel {
                id: Set(doc),
                account_id: Set(id),
                kind: Set(DocumentKind::Contract),
                title: Set("Service contract".into()),
                content_type: Set("application/pdf".into()),
                size_bytes: Set(self.contract.len() as i64),
                sha256: Set(self.contract_sha.clone()),
                created_at: Set(created),
            });
            batch.contents.push(document_content::ActiveModel {
                document_id: Set(doc),
                bytes: Set(self.contract.clone()),
            });
        }
        id
    }

    fn services(
        &self,
        batch: &mut Batch,
        ids: &mut Ids,
        rng: &mut StdRng,
        account_id: i64,
        status: AccountStatus,
    ) {
        for _ in 0..rng.gen_range(1..=5) {
            let t = &self.tariffs[rng.gen_range(0..self.tariffs.len())];
            let state = service_status(status, rng);
            let id = take(&mut ids.service);
            let start = self.today - Duration::days(rng.gen_range(40..700));
            let started = state != ServiceStatus::Pending;
            let ended = matches!(state, ServiceStatus::Disabled | ServiceStatus::Archived);
            let now = Utc::now();
            batch.services.push(service::ActiveModel {
                id: Set(id),
                account_id: Set(account_id),
                tariff_id: Set(t.id),
                description: Set(t.name.clone()),
                status: Set(state),
                billing_period: Set(t.period),
                price_minor: Set(t.price_minor),
                start_date: Set(started.then_some(start)),
                end_date: Set(ended.then(|| start + Duration::days(30))),
                paid_through: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            });
            batch.rates.push(service_rate::ActiveModel {
                id: Set(take(&mut ids.rate)),
                service_id: Set(id),
                tariff_id: Set(t.id),
                description: Set(t.name.clone()),
                price_minor: Set(t.price_minor),
                tax_percent_minor: Set(t.tax_percent_minor),
                valid_from: Set(start),
                created_at: Set(now),
            });
            if state == ServiceStatus::Paused {
                batch.pauses.push(service_pause::ActiveModel {
                    id: Set(take(&mut ids.pause)),
                    service_id: Set(id),
                    paused_on: Set(self.today - Duration::days(rng.gen_range(1..30))),
                    resumed_on: Set(None),
                    created_at: Set(now),
                });
            }
            if state == ServiceStatus::Active {
                // Its own generator: how many days of usage does not change the rest.
                let mut usage_rng = StdRng::seed_from_u64(id as u64);
                self.usage(batch, ids, &mut usage_rng, account_id, id, t.kind);
            }
        }
    }

    fn usage(
        &self,
        batch: &mut Batch,
        ids: &mut Ids,
        rng: &mut StdRng,
        account_id: i64,
        service_id: i64,
        kind: TariffKind,
    ) {
        for back in 1..=i64::from(self.usage_days) {
            let day = self.today - Duration::days(back);
            let start = day
                .and_hms_opt(rng.gen_range(0..20), rng.gen_range(0..60), 0)
                .unwrap_or_default()
                .and_utc();
            let seconds = rng.gen_range(60..14_400);
            match kind {
                TariffKind::Voice => batch.calls.push(voice_call::ActiveModel {
                    id: Set(take(&mut ids.call)),
                    service_id: Set(service_id),
                    account_id: Set(account_id),
                    started_at: Set(start),
                    destination: Set(format!("+4930{:07}", rng.gen_range(0..9_999_999))),
                    duration_seconds: Set(seconds / 20),
                    cost_minor: Set(i64::from(seconds) * 10),
                }),
                _ => batch.sessions.push(internet_session::ActiveModel {
                    id: Set(take(&mut ids.session)),
                    service_id: Set(service_id),
                    account_id: Set(account_id),
                    started_at: Set(start),
                    ended_at: Set(start + Duration::seconds(i64::from(seconds))),
                    day: Set(day),
                    download_bytes: Set(rng.gen_range(1_000_000..5_000_000_000)),
                    upload_bytes: Set(rng.gen_range(100_000..500_000_000)),
                    duration_seconds: Set(i64::from(seconds)),
                }),
            }
        }
    }

    fn ticket(&self, batch: &mut Batch, ids: &mut Ids, rng: &mut StdRng, account_id: i64) {
        const SUBJECTS: &[&str] = &[
            "No connection since this morning",
            "Invoice question",
            "Slow speeds in the evening",
            "Router replacement",
        ];
        let id = take(&mut ids.ticket);
        let at = Utc::now() - Duration::days(rng.gen_range(1..60));
        let status = [
            TicketStatus::New,
            TicketStatus::InProgress,
            TicketStatus::WaitingOnCustomer,
            TicketStatus::Resolved,
        ][rng.gen_range(0..4)];
        batch.tickets.push(ticket::ActiveModel {
            id: Set(id),
            account_id: Set(account_id),
            created_by_id: Set(Some(account_id)),
            subject: Set(SUBJECTS[rng.gen_range(0..SUBJECTS.len())].into()),
            status: Set(status),
            priority: Set(TicketPriority::Medium),
            hidden_from_main: Set(rng.gen_bool(0.2)),
            created_at: Set(at),
            updated_at: Set(at),
        });
        batch.messages.push(ticket_message::ActiveModel {
            id: Set(take(&mut ids.message)),
            ticket_id: Set(id),
            author_account_id: Set(Some(account_id)),
            author_name: Set("Customer".into()),
            from_staff: Set(false),
            body: Set("Please have a look, thank you.".into()),
            created_at: Set(at),
        });
    }
}

/// Partners, tariffs and the shared parts, created through the catalog when missing.
async fn shared(db: &DatabaseConnection, size: &Size) -> AppResult<Shared> {
    let tariffs: Vec<tariff::Model> = tariff::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .filter(|t| t.period == BillingPeriod::Monthly)
        .collect();
    let tariffs = if tariffs.is_empty() {
        let staff = entity::staff_user::Entity::find()
            .one(db)
            .await?
            .ok_or_else(|| crate::error::AppError::Internal(anyhow::anyhow!("no staff user")))?;
        let admin = crate::auth::Viewer::Admin(crate::auth::StaffViewer {
            id: staff.id,
            full_name: staff.full_name,
        });
        super::seed::demo_tariffs(db, &admin).await?
    } else {
        tariffs
    };
    let mut ids = Ids::load(db).await?;
    let wanted = (size.mains / 100).clamp(1, 20) as i64;
    let mut partners: Vec<i64> = Vec::new();
    let mut new_partners = Vec::new();
    for _ in 0..wanted {
        let id = take(&mut ids.partner);
        partners.push(id);
        new_partners.push(partner::ActiveModel {
            id: Set(id),
            name: Set(format!("Bench partner {id}")),
            created_at: Set(Utc::now()),
        });
    }
    insert_all(db, new_partners).await?;
    for id in &partners {
        super::catalog::insert_partner_settings(db, *id, None).await?;
    }
    let contract = super::pdf::render_invoice(&super::pdf::InvoiceDocument {
        heading: "Service contract".into(),
        issued_on: "2026-01-01".into(),
        payer_name: "Customer".into(),
        payer_address: "".into(),
        currency: "EUR".into(),
        lines: vec![],
        subtotals: vec![],
        subtotal: "0.00".into(),
        tax: "0.00".into(),
        total: "0.00".into(),
    });
    let contract_sha = super::document::sha256_hex(&contract);
    Ok(Shared {
        password_hash: password::hash(BENCH_PASSWORD.into()).await?,
        tariffs,
        partners,
        contract,
        contract_sha,
        today: Utc::now().date_naive(),
        usage_days: size.usage_days,
    })
}

/// Prints progress on stderr: a bar on a terminal, a line per tenth otherwise.
struct Progress {
    total: u32,
    terminal: bool,
    started: std::time::Instant,
    last_tenth: u32,
}

impl Progress {
    fn new(total: u32) -> Self {
        Progress {
            total,
            terminal: std::io::stderr().is_terminal(),
            started: std::time::Instant::now(),
            last_tenth: 0,
        }
    }

    fn show(&mut self, done: u32, out: &Generated) {
        let share = f64::from(done) / f64::from(self.total.max(1));
        let mut err = std::io::stderr().lock();
        if self.terminal {
            let filled = (share * 30.0) as usize;
            let _ = write!(
                err,
                "\r[{}{}] {done}/{} main accounts, {} accounts, {} services, {:.0?}",
                "#".repeat(filled),
                "-".repeat(30 - filled.min(30)),
                self.total,
                out.accounts,
                out.services,
                self.started.elapsed()
            );
            let _ = err.flush();
        } else if (share * 10.0) as u32 > self.last_tenth || done == self.total {
            self.last_tenth = (share * 10.0) as u32;
            let _ = writeln!(
                err,
                "{done}/{} main accounts, {} accounts, {} services, {:.0?}",
                self.total,
                out.accounts,
                out.services,
                self.started.elapsed()
            );
        }
    }

    fn finish(&self) {
        if self.terminal {
            let _ = writeln!(std::io::stderr());
        }
    }
}

/// Moves PostgreSQL's id sequences past the ids written with explicit values.
async fn reset_sequences(db: &DatabaseConnection) -> AppResult<()> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    for table in [
        "partners",
        "accounts",
        "account_links",
        "services",
        "service_rates",
        "service_pauses",
        "tickets",
        "ticket_messages",
        "documents",
        "internet_sessions",
        "voice_calls",
    ] {
        db.execute_unprepared(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        ))
        .await?;
    }
    db.execute_unprepared("ANALYZE").await?;
    Ok(())
}

/// Fills the database; returns what it wrote.
pub async fn bench(db: &DatabaseConnection, size: Size) -> AppResult<Generated> {
    let shared = shared(db, &size).await?;
    let mut ids = Ids::load(db).await?;
    // Positions continue after the bench main accounts already there.
    let first_main = account::Entity::find()
        .filter(account::Column::Login.like("bench-m______"))
        .count(db)
        .await?;
    let mut out = Generated::default();
    let mut progress = Progress::new(size.mains);
    let mut done = 0;
    while done < size.mains {
        let mut batch = Batch::default();
        let end = (done + MAINS_PER_BATCH).min(size.mains);
        for k in done..end {
            let position = first_main + u64::from(k) + 1;
            let mut rng = StdRng::seed_from_u64(position);
            let management = rng.gen_bool(0.8);
            let main = shared.account(
                &mut batch,
                &mut ids,
                &mut rng,
                format!("bench-m{position:06}"),
                AccountStatus::Active,
                None,
                management,
            );
            for j in 1..=size.subs_per_main {
                let kind = if rng.gen_bool(0.7) {
                    SubAccountType::Aggregated
                } else {
                    SubAccountType::Independent
                };
                let status = sub_status(&mut rng);
                shared.account(
                    &mut batch,
                    &mut ids,
                    &mut rng,
                    format!("bench-m{position:06}-s{j:04}"),
                    status,
                    Some((main, kind)),
                    false,
                );
            }
        }
        batch.write(db, &mut out).await?;
        done = end;
        progress.show(done, &out);
    }
    progress.finish();
    reset_sequences(db).await?;
    Ok(out)
}
