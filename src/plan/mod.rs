//! Compiled read plans. A query is compiled once per prepared document into a plan of what
//! it selects ([`compile`]), when the catalogue knows every field it asks for
//! ([`catalog`]); a request then loads each level of objects at once through the request's
//! loaders ([`load`]: the resolvers' batches, caches and policy scopes) and writes the
//! answer's JSON text directly ([`write`]), without a future or a value map per field.
//! Authorization stays one mechanism: rows come through the policy's scopes, fields are
//! decided by the policy with the action their resolver's guard names, and a refused field
//! is null with the guard's own error at its path. Anything else (a document the catalogue
//! does not know, an argument that does not parse, an object the viewer may not open, a
//! failed statement) goes to the resolvers, which answer it as they always did.
//! `tests/api/plans.rs` holds the two paths' answers byte-identical.

mod catalog;
mod compile;
mod links;
mod load;
mod node;
mod text;
mod write;

use async_graphql::{ServerError, Variables};

pub use catalog::list_guard;
pub use compile::{Plan, compile};

use crate::{auth::Viewer, graphql::loaders::Loaders};

/// An answer a plan wrote: the `data` JSON text (UTF-8: the writer writes `str`s and ASCII
/// only, so it is not checked again on its way out) and the guards' errors.
pub struct Written {
    pub data: Vec<u8>,
    pub errors: Vec<ServerError>,
}

/// Runs `plan` for `viewer` with the request's `variables`, reading through `loaders` (run
/// it under their batcher's driver, so that each level is one batch per relation). `None`:
/// the resolvers answer this request.
pub async fn run(
    plan: &Plan,
    variables: &Variables,
    viewer: &Viewer,
    language: crate::domain::language::Language,
    loaders: &Loaders,
    link_key: &[u8],
) -> Option<Written> {
    if matches!(viewer, Viewer::Anonymous) {
        // `viewer` and `node` need a signed-in caller: the resolvers say so.
        return None;
    }
    let run = load::Run {
        viewer,
        loaders,
        variables,
        defaults: &plan.defaults,
    };
    let level = run.level(&plan.root, vec![load::Obj::Query]).await.ok()?;
    use std::sync::atomic::Ordering::Relaxed;
    let room = plan.written.load(Relaxed);
    let mut writer = write::Writer::new(viewer, language, link_key, room + room / 8);
    writer.object(&plan.root, &level, 0).ok()?;
    plan.written.store(writer.out.len(), Relaxed);
    Some(Written {
        data: writer.out,
        errors: writer.errors,
    })
}
