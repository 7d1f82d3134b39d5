//! An ISP branch or reseller; every account belongs to one.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "partners")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub name: String,
    pub created_at: DateTimeUtc,
    /// The name the portal of its accounts shows (a brand, where `name` is the ISP's own);
    /// none: the portal's own title.
    pub display_name: Option<String>,
    /// The portal's accent colour, `#rrggbb` (dark enough for white text); none: the default.
    pub accent_color: Option<String>,
    /// The logo's media type (`image/png` or `image/jpeg`); none: no logo.
    pub logo_type: Option<String>,
    /// The logo's SHA-256 (hex), in its URL so a new logo is a new address.
    pub logo_digest: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
