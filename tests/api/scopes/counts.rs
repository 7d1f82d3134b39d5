use super::*;

#[tokio::test]
async fn a_list_counts_what_its_reader_may_page_through() {
    // A main account's history holds entries about a sub-account's ticket hidden from it:
    // they are neither on its pages nor in its count.
    let app = TestApp::spawn().await;
    let t = app.tenant("count").await;
    let sub = app.token_for(&t.aggregated).await;
    let main = app.token_for(&t.main).await;
    for hidden in [true, false, true] {
        app.ok(
            "mutation($h: Boolean) { createTicket(input: {subject: \"S\", message: \"M\", hiddenFromMain: $h}) { userErrors { code } } }",
            json!({ "h": hidden }),
            Some(&sub),
        )
        .await;
    }
    let q = "query($a: ID!) { node(id: $a) { ... on Account { activity(first: 100) { totalCount nodes { action } } } } }";
    let of = |token: String| {
        let app = &app;
        let t = &t;
        async move { app.ok(q, json!({ "a": t.aggregated }), Some(&token)).await }
    };
    let by_main = of(main).await;
    let by_sub = of(sub).await;
    let count = |v: &serde_json::Value| {
        (
            v["node"]["activity"]["totalCount"].as_i64().unwrap_or(-1),
            v["node"]["activity"]["nodes"]
                .as_array()
                .map_or(0, |n| n.len() as i64),
        )
    };
    let (total, listed) = count(&by_main);
    assert_eq!(total, listed, "the count is what the main may page through");
    let created = |v: &serde_json::Value| {
        v["node"]["activity"]["nodes"].as_array().map_or(0, |n| {
            n.iter().filter(|e| e["action"] == "ticket.created").count()
        })
    };
    assert_eq!(
        created(&by_main),
        1,
        "only the ticket not hidden: {by_main}"
    );
    assert_eq!(created(&by_sub), 3);
}
