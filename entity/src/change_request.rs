//! A tariff change of a service: applied at once (self-change) or waiting for an admin.
use sea_orm::entity::prelude::*;

use crate::enums::{ChangeMode, ChangeRequestStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub service_id: i64,
    pub from_tariff_id: i64,
    pub to_tariff_id: i64,
    pub mode: ChangeMode,
    pub status: ChangeRequestStatus,
    pub requested_by_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
