//! Staff users: the ISP's employees as others see them (whom tickets are assigned to).

use async_graphql::{Context, ID, Object};

use entity::staff_user;

use super::{
    guards::Staff,
    ids::{self, Kind},
};
use crate::error::ResultExt;

/// An ISP staff member.
#[derive(Clone)]
pub struct StaffUser(pub staff_user::Model);

impl super::guards::Guarded for StaffUser {
    async fn decide(
        &self,
        ctx: &async_graphql::Context<'_>,
        action: crate::policy::Action,
    ) -> async_graphql::Result<super::guards::Decision> {
        Ok(crate::policy::authorize(
            super::viewer(ctx)?,
            action,
            crate::policy::Target::StaffUser,
        ))
    }
}

impl super::guards::Loadable for StaffUser {
    const KIND: Kind = Kind::StaffUser;

    async fn load(
        ctx: &async_graphql::Context<'_>,
        id: i64,
    ) -> async_graphql::Result<Option<Self>> {
        let found = super::loaders(ctx)?
            .staff_user
            .load_one(id)
            .await
            .map_err(super::loaders::gql)?;
        Ok(found.map(StaffUser))
    }
}

/// An ISP staff member (staff see all of them; customers see an assignee's name on its
/// ticket).
#[Object]
impl StaffUser {
    /// ID of the staff user (for `assignTicket` and the ticket queue's filter).
    pub async fn id(&self) -> ID {
        ids::encode(Kind::StaffUser, self.0.id)
    }

    /// Login name; staff only.
    #[graphql(guard = "Staff")]
    async fn login(&self) -> &str {
        &self.0.login
    }

    /// Name shown on tickets.
    async fn full_name(&self) -> &str {
        &self.0.full_name
    }
}

/// Staff users (staff only).
#[derive(Default)]
pub struct StaffQuery;

/// Staff users (staff only).
#[Object]
impl StaffQuery {
    /// Every staff user, by name; admins only.
    #[graphql(guard = "Staff")]
    async fn staff_users(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<StaffUser>> {
        use sea_orm::{EntityTrait, QueryOrder};
        let rows = staff_user::Entity::find()
            .order_by_asc(staff_user::Column::FullName)
            .order_by_asc(staff_user::Column::Id)
            .all(super::db(ctx)?)
            .await
            .map_err(crate::error::AppError::from)
            .gql()?;
        Ok(rows.into_iter().map(StaffUser).collect())
    }
}
