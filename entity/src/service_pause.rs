//! One pause (or, by staff, disable period) of a service: billing skips the days from
//! `paused_on` up to the day before `resumed_on`.
use sea_orm::entity::prelude::*;

use crate::enums::PauseKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "service_pauses")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub service_id: i64,
    pub paused_on: Date,
    pub resumed_on: Option<Date>,
    pub kind: PauseKind,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
