//! The committed `schema.graphql` is exactly what `portal-api export-schema` writes.

#[test]
fn the_committed_schema_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql at the repository root");
    let current = portal_api::graphql::sdl();
    assert!(
        committed == current,
        "schema.graphql is stale: run `cargo run -- export-schema --out schema.graphql`"
    );
}
