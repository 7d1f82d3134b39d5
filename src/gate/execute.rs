//! Running an operation: with its loaders' batches driven beside it (`graphql::batch`), then
//! the answer put in shape. A field that failed is `null` at its path and the null is carried
//! up to the nearest nullable field, as GraphQL says (async-graphql leaves the key out), and
//! each internal failure is logged once, after execution, inside the request's span.

use std::{
    collections::HashMap,
    sync::{Arc, LazyLock},
};

use async_graphql::{
    PathSegment, Request, Response, ServerError, Value,
    futures_util::stream::{BoxStream, StreamExt},
    parser::types::{BaseType, OperationType, Type, TypeKind, TypeSystemDefinition},
};

use super::{Outcome, code_of, prepared::Prepared};
use crate::{
    error::AppError,
    graphql::{PortalSchema, batch::Driven, loaders::Loaders},
};

/// Executes one query or mutation (of the prepared document) with fresh loaders.
pub async fn execute(
    schema: &PortalSchema,
    request: Request,
    loaders: Loaders,
    prepared: &Prepared,
) -> Response {
    let batcher = loaders.batcher();
    let operation = request.operation_name.clone();
    let response = Driven::new(schema.execute(request.data(loaders)), batcher).await;
    finish(response, prepared, operation.as_deref())
}

/// Executes a subscription: each event is resolved with the subscription's loaders, which
/// forget what they loaded between events.
pub fn execute_stream(
    schema: &PortalSchema,
    request: Request,
    loaders: Loaders,
    prepared: Arc<Prepared>,
) -> BoxStream<'static, Response> {
    let batcher = loaders.batcher();
    let operation = request.operation_name.clone();
    let stream = schema.execute_stream(request.data(loaders));
    Driven::new(stream, batcher)
        .map(move |response| finish(response, &prepared, operation.as_deref()))
        .boxed()
}

/// The span of one operation. Named by the request or by the manifest: free. What only a
/// collector reads (the name written in the document, the span's display name, the
/// redacted document) is worked out only when spans are exported.
pub fn operation_span(
    operation: Option<OperationType>,
    given: Option<&str>,
    hash: &str,
    query: &str,
) -> tracing::Span {
    let kind = match operation {
        Some(OperationType::Query) => "query",
        Some(OperationType::Mutation) => "mutation",
        Some(OperationType::Subscription) => "subscription",
        None => "unknown",
    };
    let span = tracing::info_span!(
        "graphql.operation",
        otel.name = tracing::field::Empty,
        graphql.operation.type = kind,
        graphql.operation.name = given,
        graphql.document = tracing::field::Empty,
        graphql.document.id = %hash,
    );
    if crate::telemetry::exporting() {
        let named_in_document = crate::telemetry::operation_name(query);
        let name = given.or(named_in_document.as_deref()).unwrap_or("");
        span.record("graphql.operation.name", name);
        span.record("otel.name", format!("{kind} {name}").trim_end());
        span.record("graphql.document", crate::telemetry::redact(query));
    }
    span
}

/// What an executed answer's errors say about the request as a whole, with the codes its
/// errors lack set: a document refused by validation (or variables that do not fit their
/// types, found by the fast validation) ran nothing and is a request error.
pub fn classify(response: &mut Response, fast: bool) -> Outcome {
    if fast && response.errors.iter().any(is_coercion_error) {
        // Variables that do not fit their types: a request error, as full validation says.
        response.data = Value::Null;
        response.errors.retain(is_coercion_error);
        for e in response.errors.iter_mut() {
            e.path.clear();
        }
    }
    let nothing_ran = response.data == Value::Null;
    let refused = nothing_ran
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    for e in response.errors.iter_mut() {
        let code = if is_coercion_error(e) {
            "BAD_USER_INPUT"
        } else if refused && is_limit_error(e) {
            "QUERY_TOO_COMPLEX"
        } else if refused {
            "GRAPHQL_VALIDATION_FAILED"
        } else {
            "INTERNAL_SERVER_ERROR"
        };
        if code_of(e).is_none() {
            e.extensions
                .get_or_insert_with(Default::default)
                .set("code", code.to_string());
        }
    }
    let has = |code: &str| response.errors.iter().any(|e| code_of(e) == Some(code));
    let all_coercion = !response.errors.is_empty() && response.errors.iter().all(is_coercion_error);
    if refused || (nothing_ran && all_coercion) {
        Outcome::RequestError
    } else if has("UNAUTHENTICATED") {
        Outcome::Unauthenticated
    } else if has("RATE_LIMITED") {
        Outcome::RateLimited
    } else {
        Outcome::Ran
    }
}

/// Errors async-graphql raises when an argument or variable value does not fit its type.
fn is_coercion_error(e: &ServerError) -> bool {
    [
        "Failed to parse",
        "Invalid value for argument",
        "Expected input type",
    ]
    .iter()
    .any(|start| e.message.starts_with(start))
}

/// Errors async-graphql raises when an operation breaks a depth, complexity or directive limit.
fn is_limit_error(e: &ServerError) -> bool {
    e.message.contains("too complex")
        || e.message.contains("nested too deep")
        || e.message.contains("directives")
}

/// Puts an answer in shape (see the module doc), in the document's order.
fn finish(mut response: Response, prepared: &Prepared, operation: Option<&str>) -> Response {
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
    super::order::in_document_order(
        &mut response.data,
        &mut response.errors,
        &prepared.doc,
        operation,
    );
    response
}

/// Logs each internal failure once: a failed batch reaches every row that reads it, with one
/// shared cause.
fn log_internal_errors(errors: &[ServerError]) {
    let mut seen: Vec<*const ()> = Vec::new();
    for e in errors {
        let internal = match code_of(e) {
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

static TYPES: LazyLock<Types> = LazyLock::new(|| Types::from_sdl(&crate::graphql::sdl()));

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
