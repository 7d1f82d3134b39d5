//! Running an operation: with its loaders' batches driven beside it ([`super::batch`]), then
//! the answer put in shape. A field that failed is `null` at its path and the null is carried
//! up to the nearest nullable field, as GraphQL says (async-graphql leaves the key out), and
//! each internal failure is logged once, after execution, inside the request's span.

use std::{
    collections::HashMap,
    sync::{Arc, LazyLock},
};

use async_graphql::{
    Executor, PathSegment, Request, Response, ServerError, Value,
    futures_util::stream::{BoxStream, StreamExt},
    parser::types::{BaseType, Type, TypeKind, TypeSystemDefinition},
};

use super::{PortalSchema, batch::Driven, loaders::Loaders};
use crate::{AppState, error::AppError};

/// Executes one query or mutation with fresh loaders.
pub async fn execute(schema: &PortalSchema, request: Request, loaders: Loaders) -> Response {
    let batcher = loaders.batcher();
    let response = Driven::new(schema.execute(request.data(loaders)), batcher).await;
    finish(response)
}

/// Executes a subscription: each event is resolved with the subscription's loaders, which
/// forget what they loaded between events.
pub fn execute_stream(
    schema: &PortalSchema,
    request: Request,
    loaders: Loaders,
    session: Option<Arc<async_graphql::Data>>,
) -> BoxStream<'static, Response> {
    let batcher = loaders.batcher();
    let stream =
        schema.execute_stream_with_session_data(request.data(loaders), session.unwrap_or_default());
    Driven::new(stream, batcher).map(finish).boxed()
}

/// The schema as `async-graphql-axum`'s WebSocket handler runs it: through [`execute`].
/// `free_text` says whether the connection may run documents outside the trusted ones
/// (set when it authenticates: always for staff; for others unless the server requires
/// trusted documents).
#[derive(Clone)]
pub struct Batching {
    pub schema: PortalSchema,
    pub state: AppState,
    pub free_text: Arc<std::sync::atomic::AtomicBool>,
}

impl Batching {
    fn refused(&self, request: &Request) -> Option<Response> {
        let free = self.free_text.load(std::sync::atomic::Ordering::Acquire);
        (!free && !super::trusted::is_trusted(&request.query)).then(|| {
            let mut error = ServerError::new(
                "this server runs only its clients' trusted documents (operations/)",
                None,
            );
            let mut code = async_graphql::ErrorExtensionValues::default();
            code.set("code", "PERSISTED_QUERY_REQUIRED");
            error.extensions = Some(code);
            Response::from_errors(vec![error])
        })
    }
}

impl Executor for Batching {
    async fn execute(&self, request: Request) -> Response {
        if let Some(refused) = self.refused(&request) {
            return refused;
        }
        execute(&self.schema, request, Loaders::new(&self.state)).await
    }

    fn execute_stream(
        &self,
        request: Request,
        session: Option<Arc<async_graphql::Data>>,
    ) -> BoxStream<'static, Response> {
        if let Some(refused) = self.refused(&request) {
            return async_graphql::futures_util::stream::once(async move { refused }).boxed();
        }
        execute_stream(&self.schema, request, Loaders::new(&self.state), session)
    }
}

/// Puts an answer in shape (see the module doc).
pub fn finish(mut response: Response) -> Response {
    log_internal_errors(&response.errors);
    let mut paths: Vec<Vec<PathSegment>> = response
        .errors
        .iter()
        .filter(|e| !e.path.is_empty())
        .map(|e| e.path.clone())
        .collect();
    paths.sort_by_key(Vec::len);
    for path in paths {
        null_out(&mut response.data, &path, &TYPES);
    }
    response
}

fn code(e: &ServerError) -> Option<&str> {
    match e.extensions.as_ref()?.get("code")? {
        Value::String(s) => Some(s.as_str()),
        _ => None,
    }
}

/// Logs each internal failure once: a failed batch reaches every row that reads it, with one
/// shared cause.
fn log_internal_errors(errors: &[ServerError]) {
    let mut seen: Vec<*const ()> = Vec::new();
    for e in errors {
        let internal = match code(e) {
            Some("INTERNAL_SERVER_ERROR") => true,
            // An execution error without a code did not come through `AppError`.
            None => !e.path.is_empty(),
            Some(_) => false,
        };
        if !internal {
            continue;
        }
        let Some(source) = &e.source else {
            tracing::error!(path = ?e.path, error = %e.message, "request failed");
            continue;
        };
        let key = Arc::as_ptr(source) as *const ();
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        if let Some(cause) = source.downcast_ref::<AppError>() {
            tracing::error!(path = ?e.path, error = ?cause, "request failed");
        } else if let Some(cause) = source.downcast_ref::<crate::error::Cause>() {
            tracing::error!(path = ?e.path, error = %cause.0, "request failed");
        } else {
            tracing::error!(path = ?e.path, error = %e.message, "request failed");
        }
    }
}

/// Field types of the schema, by (type, field); and the implementers of each interface.
struct Types {
    fields: HashMap<(String, String), Type>,
    implementers: HashMap<String, Vec<String>>,
}

static TYPES: LazyLock<Types> = LazyLock::new(|| Types::from_sdl(&super::sdl()));

impl Types {
    fn from_sdl(sdl: &str) -> Self {
        let mut types = Types {
            fields: HashMap::new(),
            implementers: HashMap::new(),
        };
        let Ok(doc) = async_graphql::parser::parse_schema(sdl) else {
            return types;
        };
        for def in doc.definitions {
            let TypeSystemDefinition::Type(def) = def else {
                continue;
            };
            let name = def.node.name.node.to_string();
            let (fields, implements) = match def.node.kind {
                TypeKind::Object(o) => (o.fields, o.implements),
                TypeKind::Interface(i) => (i.fields, i.implements),
                _ => continue,
            };
            for interface in implements {
                types
                    .implementers
                    .entry(interface.node.to_string())
                    .or_default()
                    .push(name.clone());
            }
            for field in fields {
                let field = field.node;
                types
                    .fields
                    .insert((name.clone(), field.name.node.to_string()), field.ty.node);
            }
        }
        types
    }

    fn field(&self, parent: &str, name: &str) -> Option<&Type> {
        let key = (parent.to_string(), name.to_string());
        self.fields.get(&key).or_else(|| {
            // On an interface, a field of one of its implementers (a fragment's field).
            self.implementers
                .get(parent)?
                .iter()
                .find_map(|t| self.fields.get(&(t.clone(), name.to_string())))
        })
    }
}

fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(item) => named(item),
    }
}

/// Whether each position along `path` may be null. A position whose type is unknown (an
/// aliased field: the path holds the alias) counts as nullable.
fn nullability(path: &[PathSegment], types: &Types) -> Vec<bool> {
    let mut out = Vec::with_capacity(path.len());
    let mut current: Option<Type> = None;
    let mut parent = ["Query", "Mutation", "Subscription"]
        .into_iter()
        .find(|root| match path.first() {
            Some(PathSegment::Field(name)) => types.field(root, name).is_some(),
            _ => false,
        })
        .map(String::from);
    for segment in path {
        current = match (segment, &current, &parent) {
            (PathSegment::Field(name), _, Some(p)) => types.field(p, name).cloned(),
            (
                PathSegment::Index(_),
                Some(Type {
                    base: BaseType::List(item),
                    ..
                }),
                _,
            ) => Some((**item).clone()),
            _ => None,
        };
        out.push(current.as_ref().is_none_or(|t| t.nullable));
        parent = current.as_ref().map(|t| named(t).to_string());
    }
    out
}

/// Sets the answer at the nearest nullable position at or above `path` to null.
fn null_out(data: &mut Value, path: &[PathSegment], types: &Types) {
    let nullable = nullability(path, types);
    let Some(depth) = (1..=path.len()).rev().find(|&k| nullable[k - 1]) else {
        *data = Value::Null;
        return;
    };
    let (last, above) = path[..depth].split_last().unwrap_or((&path[0], &[]));
    let mut at = data;
    for segment in above {
        let next = match (segment, at) {
            (PathSegment::Field(name), Value::Object(map)) => map.get_mut(name.as_str()),
            (PathSegment::Index(i), Value::List(items)) => items.get_mut(*i),
            // Already null (a shorter path was handled first), or not there at all.
            _ => None,
        };
        let Some(next) = next else {
            return;
        };
        at = next;
    }
    match (last, at) {
        (PathSegment::Field(name), Value::Object(map)) => {
            map.insert(async_graphql::Name::new(name), Value::Null);
        }
        (PathSegment::Index(i), Value::List(items)) => {
            if let Some(item) = items.get_mut(*i) {
                *item = Value::Null;
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::value;

    use super::*;

    const SDL: &str = "type Query { viewer: Viewer! node(id: ID!): Node }
        type Viewer { account: Account }
        interface Node { id: ID! }
        type Account implements Node { id: ID! name: String! email: String rows: [Row!]! }
        type Row { id: ID! secret: String! }";

    fn path(segments: &[&str]) -> Vec<PathSegment> {
        segments
            .iter()
            .map(|s| match s.parse::<usize>() {
                Ok(i) => PathSegment::Index(i),
                Err(_) => PathSegment::Field((*s).to_string()),
            })
            .collect()
    }

    #[test]
    fn a_failed_nullable_field_is_null_and_its_row_stays() {
        let types = Types::from_sdl(SDL);
        let mut data = value!({ "viewer": { "account": { "id": "1", "name": "A" } } });
        null_out(&mut data, &path(&["viewer", "account", "email"]), &types);
        assert_eq!(
            data,
            value!({ "viewer": { "account": { "id": "1", "name": "A", "email": null } } })
        );
    }

    #[test]
    fn a_failed_non_null_field_nulls_the_nearest_nullable_parent() {
        let types = Types::from_sdl(SDL);
        let mut data =
            value!({ "viewer": { "account": { "id": "1", "rows": [ { "id": "r" } ] } } });
        null_out(
            &mut data,
            &path(&["viewer", "account", "rows", "0", "secret"]),
            &types,
        );
        assert_eq!(data, value!({ "viewer": { "account": null } }));
        let mut data = value!({ "viewer": { "account": null } });
        null_out(&mut data, &path(&["viewer"]), &types);
        assert_eq!(data, Value::Null, "a non-null root field nulls the data");
    }

    #[test]
    fn fields_of_fragments_on_an_interface_are_found_on_its_implementers() {
        let types = Types::from_sdl(SDL);
        let mut data = value!({ "node": { "id": "1" } });
        null_out(&mut data, &path(&["node", "email"]), &types);
        assert_eq!(data, value!({ "node": { "id": "1", "email": null } }));
        null_out(&mut data, &path(&["node", "name"]), &types);
        assert_eq!(data, value!({ "node": null }));
    }

    #[test]
    fn a_failed_batch_read_by_many_rows_is_logged_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use tracing_subscriber::{Layer, layer::SubscriberExt};

        struct Count(Arc<AtomicUsize>);
        impl<S: tracing::Subscriber> Layer<S> for Count {
            fn on_event(
                &self,
                _: &tracing::Event<'_>,
                _: tracing_subscriber::layer::Context<'_, S>,
            ) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }

        let logged = Arc::new(AtomicUsize::new(0));
        let subscriber = tracing_subscriber::registry().with(Count(logged.clone()));
        let cause = Arc::new(AppError::Internal(anyhow::anyhow!("connection reset")));
        let row = |i: usize| {
            let mut e = crate::error::shared(&cause).into_server_error(Default::default());
            e.path = vec![PathSegment::Index(i), PathSegment::Field("services".into())];
            e
        };
        let other = crate::error::shared(&Arc::new(AppError::Internal(anyhow::anyhow!("other"))))
            .into_server_error(Default::default());
        let errors: Vec<ServerError> = (0..50).map(row).chain([other]).collect();
        tracing::subscriber::with_default(subscriber, || log_internal_errors(&errors));
        assert_eq!(logged.load(Ordering::SeqCst), 2, "one line per cause");
    }

    #[test]
    fn an_aliased_field_is_nulled_where_it_failed() {
        let types = Types::from_sdl(SDL);
        let mut data = value!({ "viewer": { "account": { "id": "1" } } });
        null_out(&mut data, &path(&["viewer", "account", "mail"]), &types);
        assert_eq!(
            data,
            value!({ "viewer": { "account": { "id": "1", "mail": null } } })
        );
    }
}
