//! Email templates; `partner_id` null is the default a partner falls back to.
use sea_orm::entity::prelude::*;

use crate::enums::EmailTemplateKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "email_templates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partner_id: Option<i64>,
    pub kind: EmailTemplateKind,
    pub name: String,
    pub subject: String,
    pub body: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
