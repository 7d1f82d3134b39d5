//! Logs and traces. Logs go to stderr (text or JSON). When `OTEL_EXPORTER_OTLP_ENDPOINT` is
//! set, spans also go to that collector over OTLP (HTTP, JSON; the standard `OTEL_*`
//! variables tune the exporter): one per HTTP request, one per GraphQL operation, one per
//! SQL statement (SeaORM's `tracing-spans`) and one per DataLoader batch, never per field.
//! A W3C `traceparent` on a request is the parent of its span, and every answer carries the
//! request span's own `traceparent`. Span attributes never hold variable values: documents
//! are recorded with their literals blanked ([`redact`]) and SQL without parameters.

use opentelemetry::{propagation::TextMapCompositePropagator, trace::TracerProvider as _};
use opentelemetry_sdk::{propagation::TraceContextPropagator, trace::SdkTracerProvider};
use tracing_subscriber::{EnvFilter, Layer, layer::SubscriberExt, util::SubscriberInitExt};

static EXPORTING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether spans leave the process (a collector is configured): what only a trace needs
/// (a document with its literals blanked) is computed only then.
pub fn exporting() -> bool {
    EXPORTING.load(std::sync::atomic::Ordering::Relaxed)
}

/// Flushes the spans still buffered when the process ends.
pub struct Telemetry(Option<SdkTracerProvider>);

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(provider) = self.0.take()
            && let Err(e) = provider.shutdown()
        {
            eprintln!("flushing traces failed: {e}");
        }
    }
}

/// Installs the process's subscriber: logs, and traces when a collector is configured.
pub fn init(json: bool) -> Telemetry {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let logs = if json {
        tracing_subscriber::fmt::layer()
            .json()
            .with_writer(std::io::stderr)
            .with_filter(filter)
            .boxed()
    } else {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_filter(filter)
            .boxed()
    };
    let provider = std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT")
        .filter(|v| !v.is_empty())
        .and_then(|_| match exporter() {
            Ok(provider) => Some(provider),
            Err(e) => {
                eprintln!("traces are off: the OTLP exporter could not be built: {e}");
                None
            }
        });
    // Spans only (no debug events: SeaORM's `debug-print` logs statements with values).
    let traces = provider.as_ref().map(|p| {
        tracing_opentelemetry::layer()
            .with_tracer(p.tracer("portal-api"))
            .with_filter(EnvFilter::new(
                "info,sqlx=off,sea_orm=info,h2=off,hyper=off,reqwest=off",
            ))
    });
    opentelemetry::global::set_text_map_propagator(TextMapCompositePropagator::new(vec![
        Box::new(TraceContextPropagator::new()),
    ]));
    tracing_subscriber::registry()
        .with(logs)
        .with(traces)
        .init();
    EXPORTING.store(provider.is_some(), std::sync::atomic::Ordering::Relaxed);
    Telemetry(provider)
}

fn exporter() -> Result<SdkTracerProvider, opentelemetry_otlp::ExporterBuildError> {
    use opentelemetry_otlp::WithExportConfig;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(opentelemetry_otlp::Protocol::HttpJson)
        .build()?;
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name("portal-api")
        .build();
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build())
}

/// Makes the span of an HTTP request the child of the caller's `traceparent`, if any
/// (nothing to do when traces are off).
pub fn adopt_parent(span: &tracing::Span, headers: &axum::http::HeaderMap) {
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    if !exporting() {
        return;
    }
    let parent = opentelemetry::global::get_text_map_propagator(|p| {
        p.extract(&opentelemetry_http::HeaderExtractor(headers))
    });
    let _ = span.set_parent(parent);
}

/// Adds the `traceparent` of `span` to an answer (nothing when traces are off).
pub fn announce(span: &tracing::Span, headers: &mut axum::http::HeaderMap) {
    use opentelemetry::trace::TraceContextExt;
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    if !exporting() {
        return;
    }
    let context = span.context();
    if !context.span().span_context().is_valid() {
        return;
    }
    opentelemetry::global::get_text_map_propagator(|p| {
        p.inject_context(&context, &mut opentelemetry_http::HeaderInjector(headers))
    });
}

/// The name of a document's first operation (`query Page { … }` → `Page`), for documents
/// sent without `operationName`.
pub fn operation_name(document: &str) -> Option<String> {
    let mut words = document
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty());
    match words.next()? {
        "query" | "mutation" | "subscription" => {}
        _ => return None,
    }
    let rest = document.trim_start();
    let after_keyword = rest.split_once(char::is_whitespace)?.1.trim_start();
    after_keyword
        .starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        .then(|| words.next().map(str::to_string))
        .flatten()
}

/// A GraphQL document with its literal values blanked: strings become `""`, numbers `0`.
/// What a span may record of a document (variables are never recorded).
pub fn redact(document: &str) -> String {
    let mut out = String::with_capacity(document.len());
    let mut chars = document.chars().peekable();
    let mut prev_ident = false;
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                let block = chars.peek() == Some(&'"') && {
                    let mut look = chars.clone();
                    look.next();
                    look.peek() == Some(&'"')
                };
                if block {
                    chars.next();
                    chars.next();
                    let mut quotes = 0;
                    for d in chars.by_ref() {
                        quotes = if d == '"' { quotes + 1 } else { 0 };
                        if quotes == 3 {
                            break;
                        }
                    }
                } else {
                    let mut escaped = false;
                    for d in chars.by_ref() {
                        if escaped {
                            escaped = false;
                        } else if d == '\\' {
                            escaped = true;
                        } else if d == '"' {
                            break;
                        }
                    }
                }
                out.push_str("\"\"");
                prev_ident = false;
            }
            '#' => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        out.push('\n');
                        break;
                    }
                }
                prev_ident = false;
            }
            c if (c.is_ascii_digit() || c == '-') && !prev_ident => {
                while chars
                    .peek()
                    .is_some_and(|d| d.is_ascii_alphanumeric() || matches!(d, '.' | '+' | '-'))
                {
                    chars.next();
                }
                out.push('0');
                prev_ident = false;
            }
            c => {
                prev_ident = c.is_ascii_alphanumeric() || c == '_' || c == '$';
                out.push(c);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn the_first_operations_name_is_found() {
        use super::operation_name;
        assert_eq!(operation_name("query Page { a }").as_deref(), Some("Page"));
        assert_eq!(
            operation_name("mutation Login($p: String!) { a }").as_deref(),
            Some("Login")
        );
        assert_eq!(operation_name("query { a }"), None);
        assert_eq!(operation_name("{ a }"), None);
    }

    #[test]
    fn literals_are_blanked_and_names_kept() {
        assert_eq!(
            redact(
                r#"mutation { login(input: {login: "main", password: "se\"cret"}) { accessToken } }"#
            ),
            r#"mutation { login(input: {login: "", password: ""}) { accessToken } }"#
        );
        assert_eq!(
            redact("query($f: Int = 5) { a(first: 10, x: -1.5e3) { field2 } } # note 42"),
            "query($f: Int = 0) { a(first: 0, x: 0) { field2 } } "
        );
        assert_eq!(
            redact("{ a(t: \"\"\"block \"quoted\" \"\"\") }"),
            "{ a(t: \"\") }"
        );
    }
}
