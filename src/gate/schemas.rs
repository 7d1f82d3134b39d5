//! The schemas the gate runs: one per role, each with its limits, and the same with
//! async-graphql's fast validation for documents already validated once ([`super::prepared`]),
//! and one for schema queries (depth bounded by the schema: [`super::limits::check_introspection`]).
//! In production mode customers get neither introspection nor field suggestions.

use super::prepared::Role;
use crate::{AppState, graphql::PortalSchema};

#[derive(Clone)]
pub struct Schemas {
    pub customer: PortalSchema,
    pub admin: PortalSchema,
    customer_fast: PortalSchema,
    admin_fast: PortalSchema,
    customer_introspection: PortalSchema,
    admin_introspection: PortalSchema,
}

impl Schemas {
    /// The schema for a role; `fast` for a document that passed full validation before.
    pub fn pick(&self, role: Role, fast: bool) -> &PortalSchema {
        match (role, fast) {
            (Role::Customer, false) => &self.customer,
            (Role::Customer, true) => &self.customer_fast,
            (Role::Admin, false) => &self.admin,
            (Role::Admin, true) => &self.admin_fast,
        }
    }

    /// The schema for a role's schema queries (documents that ask only `__schema`,
    /// `__type`, `__typename`).
    pub fn introspection(&self, role: Role) -> &PortalSchema {
        match role {
            Role::Customer => &self.customer_introspection,
            Role::Admin => &self.admin_introspection,
        }
    }

    pub fn build(state: &AppState) -> Schemas {
        let build = |role: Role, mode: async_graphql::ValidationMode, depth: usize| {
            let limits = role.limits();
            let mut b = crate::graphql::builder(Some(state.clone()))
                .limit_depth(depth)
                .limit_complexity(limits.complexity)
                .limit_directives(limits.directives)
                .validation_mode(mode);
            if role == Role::Customer && state.config.mode == crate::config::Mode::Production {
                b = b.disable_introspection().disable_suggestions();
            }
            b.finish()
        };
        use async_graphql::ValidationMode::{Fast, Strict};
        let (customer, admin) = (Role::Customer.limits().depth, Role::Admin.limits().depth);
        let schema_depth = super::limits::INTROSPECTION_DEPTH;
        Schemas {
            customer: build(Role::Customer, Strict, customer),
            admin: build(Role::Admin, Strict, admin),
            customer_fast: build(Role::Customer, Fast, customer),
            admin_fast: build(Role::Admin, Fast, admin),
            customer_introspection: build(Role::Customer, Strict, schema_depth),
            admin_introspection: build(Role::Admin, Strict, schema_depth),
        }
    }
}
