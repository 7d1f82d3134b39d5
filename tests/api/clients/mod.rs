//! For the clients: CORS for portals on their own origin, the headers every answer carries,
//! the self-contained playground, and trusted documents (by id, by APQ hash, required).

mod cors;
mod documents;
mod pages;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use portal_api::{config::Mode, gate::trusted};

use crate::helpers::{TestApp, first_code};

fn header<'a>(resp: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    resp.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Fetches each asset under `prefix` and checks it is served (with its content type, when
/// given) and that a name not among them is not found; returns the scripts' text.
async fn served<'a>(
    app: &TestApp,
    prefix: &str,
    assets: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
) -> String {
    let mut scripts = String::new();
    for (name, kind) in assets {
        let resp = app
            .client
            .get(app.url(&format!("{prefix}/{name}")))
            .send()
            .await
            .expect("asset");
        assert_eq!(resp.status(), StatusCode::OK, "{name}");
        if let Some(kind) = kind {
            assert_eq!(header(&resp, "content-type"), Some(kind), "{name}");
        }
        let text = resp.text().await.expect("text");
        if name.ends_with(".js") {
            scripts.push_str(&text);
        }
    }
    let missing = app
        .client
        .get(app.url(&format!("{prefix}/no-such-asset.js")))
        .send()
        .await
        .expect("asset");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    scripts
}
