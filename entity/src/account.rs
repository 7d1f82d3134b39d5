//! A customer account: standalone, main (others link to it) or sub-account (linked to a main).
//! Money columns hold minor units of 1/10,000 of the currency unit.
use sea_orm::entity::prelude::*;

use crate::enums::{AccountStatus, BillingMode, SubAccountType};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accounts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partner_id: i64,
    #[sea_orm(unique)]
    pub login: String,
    pub password_hash: String,
    pub full_name: String,
    pub email: Option<String>,
    pub status: AccountStatus,
    pub billing_mode: BillingMode,
    pub street: String,
    pub city: String,
    pub zip_code: String,
    pub country: String,
    /// Lower-cased "full name login street city zip country", for case-insensitive search.
    pub search_text: String,
    pub currency: String,
    pub balance_minor: i64,
    pub main_account_id: Option<i64>,
    pub sub_account_type: Option<SubAccountType>,
    pub linked_at: Option<DateTimeUtc>,
    pub sub_account_management: bool,
    /// Set by staff (`forcePasswordReset`): the account may do nothing but change its
    /// password until it does.
    pub must_change_password: bool,
    /// For an aggregated sub-account: the most its own orders may cost per calendar month
    /// (minor units), set by its main account or staff; `None`: no cap.
    pub spending_cap_minor: Option<i64>,
    /// For an aggregated sub-account: its own orders up to this total are paid at once from
    /// the main account's balance; `None`: every order waits for the main.
    pub auto_approve_minor: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
