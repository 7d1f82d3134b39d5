//! One Internet session of a service, as recorded by the accounting feed.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "internet_sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub service_id: i64,
    pub account_id: i64,
    pub started_at: DateTimeUtc,
    pub ended_at: DateTimeUtc,
    /// Calendar day (UTC) the session started, so grouping by day or month is plain SQL.
    pub day: Date,
    pub download_bytes: i64,
    pub upload_bytes: i64,
    pub duration_seconds: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
