//! A bulk action's results, kept per (subject, idempotency key): a retry with the same key
//! answers them again without acting twice. `results` is null while the action runs.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bulk_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub subject: String,
    pub idempotency_key: String,
    /// What was asked (action and items), to refuse the key for another request.
    pub fingerprint: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub results: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
