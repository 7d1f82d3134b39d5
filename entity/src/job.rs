//! One scheduled job of the server (`serve` runs them): its lease (which replica runs it now,
//! until when), its last run and outcome, and when it is due next.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    pub next_run_at: DateTimeUtc,
    pub lease_owner: Option<String>,
    pub lease_until: Option<DateTimeUtc>,
    pub last_run_at: Option<DateTimeUtc>,
    pub last_outcome: Option<String>,
    pub last_error: Option<String>,
    pub runs: i64,
    pub failures: i64,
    /// Failed runs in a row (the retry backoff grows with it); 0 after a success.
    pub attempts: i32,
    /// For the monthly billing: the first month not billed yet (its first day). The job bills
    /// every month from here that has come due.
    pub period: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
