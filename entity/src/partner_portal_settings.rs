//! Per-partner portal switches ("Config → Main → Portal, per partner settings").
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "partner_portal_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub partner_id: i64,
    pub sub_accounts_can_order: bool,
    pub notify_main_on_sub_account_order: bool,
    pub sub_account_order_template_id: Option<i64>,
    /// Days a sub-account's order waits for its main account before it expires.
    pub approval_expiry_days: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
