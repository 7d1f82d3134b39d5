//! The catalogue, as staff keep it and customers read it (named as `domain::catalog`): partners
//! and the portal settings (`partner`), email templates (`template`) and tariffs (`tariff`,
//! whose `tariffs` is the one catalogue query customers use).

pub mod partner;
pub mod tariff;
pub mod template;

pub use partner::{Partner, PartnerPortalSettings, PortalSettings};
pub use tariff::Tariff;
pub use template::EmailTemplate;

/// Implements the policy's view and the loading of a catalogue object.
macro_rules! catalog_object {
    ($type:ident, $kind:ident, $loader:ident, $target:ident) => {
        impl $crate::graphql::guards::Guarded for $type {
            async fn decide(
                &self,
                ctx: &async_graphql::Context<'_>,
                action: $crate::policy::Action,
            ) -> async_graphql::Result<$crate::graphql::guards::Decision> {
                Ok($crate::policy::authorize(
                    $crate::graphql::viewer(ctx)?,
                    action,
                    $crate::policy::Target::$target(&self.0),
                ))
            }
        }

        $crate::loadable_by_id!($type, $kind, $loader);
    };
}

pub(crate) use catalog_object;
