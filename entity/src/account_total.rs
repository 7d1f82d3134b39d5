//! An account's list totals, kept by the database itself: triggers on `services` move them
//! in the transaction of every change (`m20261205_000010_account_totals`), so every write
//! path keeps them, and a reconciliation (`portal-api check-totals`) recomputes and compares.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_totals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub account_id: i64,
    /// Active services.
    pub active_count: i64,
    /// The monthly prices of the active services, in minor units.
    pub cost_minor: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
