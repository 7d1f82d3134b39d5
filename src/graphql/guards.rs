//! Guards built on the policy, so that each field's rule is read where the field is
//! declared (`#[graphql(guard = "Can(Action::ViewDetails, self)")]`), and [`reach`], the one
//! rule of every link from one object to another and of `node(id)`. A refusal is
//! `FORBIDDEN` with the missing permission in `extensions.action` (the name
//! `Account.capabilities` uses), or `NOT_FOUND` for what the viewer may not see at all.

use std::{future::Future, marker::PhantomData};

use async_graphql::{Context, ErrorExtensions, Guard, ID};

use super::ids::{self, Kind};
use crate::{
    error::AppError,
    policy::{self, Action},
};

/// The policy's answer about one object, once the rows its rule depends on are loaded.
pub type Decision = Result<(), AppError>;

/// A GraphQL object the policy decides about.
pub trait Guarded: Send + Sync {
    /// Asks the policy whether the viewer may do `action` with this object. The outer error
    /// is a failure to load what the rule needs; the inner one is the policy's refusal.
    fn decide(
        &self,
        ctx: &Context<'_>,
        action: Action,
    ) -> impl Future<Output = async_graphql::Result<Decision>> + Send;
}

/// A guarded object that can be loaded by its primary key (through the request's loaders).
pub trait Loadable: Guarded + Sized {
    /// The kind its global ID names.
    const KIND: Kind;

    fn load(
        ctx: &Context<'_>,
        id: i64,
    ) -> impl Future<Output = async_graphql::Result<Option<Self>>> + Send;
}

fn decided(decision: Decision) -> async_graphql::Result<()> {
    decision.map_err(|e| e.extend())
}

/// Staff only: `FORBIDDEN` for customers, `UNAUTHENTICATED` without a token.
pub struct Staff;

impl Guard for Staff {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        decided(policy::require_admin(super::any_viewer(ctx)?))
    }
}

/// Any signed-in viewer: `UNAUTHENTICATED` without a token.
pub struct SignedIn;

impl Guard for SignedIn {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        super::viewer(ctx).map(|_| ())
    }
}

/// An account holder: staff have no account of their own (`FORBIDDEN`).
pub struct Customer;

impl Guard for Customer {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        match super::viewer(ctx)?.account() {
            Some(_) => Ok(()),
            None => Err(AppError::Forbidden.extend()),
        }
    }
}

/// The viewer may do the action with the object the field belongs to.
pub struct Can<'a, T>(pub Action, pub &'a T);

impl<T: Guarded> Guard for Can<'_, T> {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        decided(self.1.decide(ctx, self.0).await?)
    }
}

/// The viewer may do the action with the object an argument names by its ID (mutations): a
/// malformed, foreign or invisible ID is `NOT_FOUND`, a visible object without the
/// permission `FORBIDDEN`. A refusal by a switch passes: the workflow asks the policy again
/// inside its transaction and reports it in `userErrors`, with nothing changed.
pub struct CanWithId<'a, T> {
    action: Action,
    id: Option<&'a ID>,
    object: PhantomData<T>,
}

impl<'a, T> CanWithId<'a, T> {
    pub fn new(action: Action, id: &'a ID) -> Self {
        Self::optional(action, Some(id))
    }

    /// No ID means nothing to check here (e.g. "your own account" when omitted).
    pub fn optional(action: Action, id: Option<&'a ID>) -> Self {
        Self {
            action,
            id,
            object: PhantomData,
        }
    }
}

impl<T: Loadable> Guard for CanWithId<'_, T> {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let Some(id) = self.id else {
            return Ok(());
        };
        let object = load::<T>(ctx, id).await?;
        match object.decide(ctx, self.action).await? {
            Err(AppError::User(_)) => Ok(()),
            decision => decided(decision),
        }
    }
}

/// The object an ID names, before any policy question (`NOT_FOUND` if there is none).
async fn load<T: Loadable>(ctx: &Context<'_>, id: &ID) -> async_graphql::Result<T> {
    let pk = ids::decode(T::KIND, id).map_err(|e| e.extend())?;
    T::load(ctx, pk)
        .await?
        .ok_or_else(|| AppError::NotFound.extend())
}

/// The object, if the viewer may see it: the rule of every link between objects. What the
/// viewer may not see (or sees only behind a permission it lacks) is `None`, never an error.
pub async fn reach<T: Guarded>(ctx: &Context<'_>, object: T) -> async_graphql::Result<Option<T>> {
    match object.decide(ctx, Action::See).await? {
        Ok(()) => Ok(Some(object)),
        Err(AppError::NotFound | AppError::Forbidden | AppError::Denied(_)) => Ok(None),
        Err(e) => Err(e.extend()),
    }
}

/// The object behind a link that every viewer who sees the parent may follow (e.g. an
/// order's account). Should the policy say otherwise, the field fails with `NOT_FOUND`.
pub async fn follow<T: Loadable>(ctx: &Context<'_>, id: i64) -> async_graphql::Result<T> {
    let object = T::load(ctx, id)
        .await?
        .ok_or_else(|| AppError::NotFound.extend())?;
    reach(ctx, object)
        .await?
        .ok_or_else(|| AppError::NotFound.extend())
}

/// The object behind an optional link, if there is one and the viewer may see it.
pub async fn follow_optional<T: Loadable>(
    ctx: &Context<'_>,
    id: Option<i64>,
) -> async_graphql::Result<Option<T>> {
    let Some(id) = id else {
        return Ok(None);
    };
    match T::load(ctx, id).await? {
        Some(object) => reach(ctx, object).await,
        None => Ok(None),
    }
}

/// The object by its primary key for `node(id)`: the policy's own answer (`NOT_FOUND`, or
/// `FORBIDDEN` for an object the viewer sees only behind a permission it lacks).
pub async fn by_id<T: Loadable>(ctx: &Context<'_>, id: i64) -> async_graphql::Result<T> {
    let object = T::load(ctx, id)
        .await?
        .ok_or_else(|| AppError::NotFound.extend())?;
    decided(object.decide(ctx, Action::See).await?)?;
    Ok(object)
}

/// Implements [`Loadable`] for a newtype over a row: its id kind, and the request's
/// DataLoader `loader` that reads it by primary key. `loadable_by_id!(Type, Kind, loader)`.
#[macro_export]
macro_rules! loadable_by_id {
    ($type:ident, $kind:ident, $loader:ident) => {
        impl $crate::graphql::guards::Loadable for $type {
            const KIND: $crate::graphql::ids::Kind = $crate::graphql::ids::Kind::$kind;

            async fn load(
                ctx: &async_graphql::Context<'_>,
                id: i64,
            ) -> async_graphql::Result<Option<Self>> {
                let found = $crate::graphql::loaders(ctx)?
                    .$loader
                    .load_one(id)
                    .await
                    .map_err($crate::graphql::loaders::gql)?;
                Ok(found.map($type))
            }
        }
    };
}

/// Implements [`Guarded`] and [`Loadable`] for a record that belongs to an account (its
/// `account_id`) and is seen under a [`policy::Target`] variant that takes that account:
/// `part_of_account!(Type, Kind, loader, TargetVariant)`.
#[macro_export]
macro_rules! part_of_account {
    ($type:ident, $kind:ident, $loader:ident, $target:ident) => {
        impl $crate::graphql::guards::Guarded for $type {
            async fn decide(
                &self,
                ctx: &async_graphql::Context<'_>,
                action: $crate::policy::Action,
            ) -> async_graphql::Result<$crate::graphql::guards::Decision> {
                let owner = $crate::graphql::account::owner(ctx, self.0.account_id).await?;
                Ok($crate::policy::authorize(
                    $crate::graphql::viewer(ctx)?,
                    action,
                    $crate::policy::Target::$target(&owner),
                ))
            }
        }

        $crate::loadable_by_id!($type, $kind, $loader);
    };
}
