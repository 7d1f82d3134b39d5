//! The schemas the gate runs: one per role, each with its limits, and the same with
//! async-graphql's fast validation for documents already validated once ([`super::prepared`]).
//! In production mode customers get neither introspection nor field suggestions.

use super::prepared::Role;
use crate::{AppState, graphql::PortalSchema};

#[derive(Clone)]
pub struct Schemas {
    pub customer: PortalSchema,
    pub admin: PortalSchema,
    customer_fast: PortalSchema,
    admin_fast: PortalSchema,
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

    pub fn build(state: &AppState) -> Schemas {
        let build = |role: Role, mode: async_graphql::ValidationMode| {
            let limits = role.limits();
            let mut b = crate::graphql::builder(Some(state.clone()))
                .limit_depth(limits.depth)
                .limit_complexity(limits.complexity)
                .limit_directives(limits.directives)
                .validation_mode(mode);
            if role == Role::Customer && state.config.mode == crate::config::Mode::Production {
                b = b.disable_introspection().disable_suggestions();
            }
            b.finish()
        };
        use async_graphql::ValidationMode::{Fast, Strict};
        Schemas {
            customer: build(Role::Customer, Strict),
            admin: build(Role::Admin, Strict),
            customer_fast: build(Role::Customer, Fast),
            admin_fast: build(Role::Admin, Fast),
        }
    }
}
