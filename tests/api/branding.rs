//! A partner's branding: staff set the accent colour and logo, the accounts of that partner
//! (and of no other) read them, the logo is served at the address the API gives, a colour
//! white text cannot sit on and a logo that is not a PNG or JPEG are refused and change
//! nothing, null removes, and customers cannot change any of it.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, first_code};

const BRAND: &str = "mutation($p: ID!, $c: String, $f: Upload) { updatePartnerBranding(input: {partnerId: $p, accentColor: $c, logo: $f}) { partner { branding { accentColor logoUrl } } userErrors { code field message } } }";
const COLOUR_ONLY: &str = "mutation($p: ID!, $c: String) { updatePartnerBranding(input: {partnerId: $p, accentColor: $c}) { partner { branding { accentColor logoUrl } } userErrors { code field message } } }";
const CLEAR: &str = "mutation($p: ID!) { updatePartnerBranding(input: {partnerId: $p, displayName: null, accentColor: null, logo: null}) { partner { branding { accentColor logoUrl } } userErrors { code } } }";
const MINE: &str =
    "{ viewer { account { partner { name branding { displayName accentColor logoUrl } } } } }";
const NAME: &str = "mutation($p: ID!, $n: String) { updatePartnerBranding(input: {partnerId: $p, displayName: $n}) { partner { branding { displayName } } userErrors { code field } } }";

/// A PNG by its signature (the server judges the content, not the name or the part's type).
fn png() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend((0..=255u8).cycle().take(4_000));
    bytes
}

struct Branded {
    app: TestApp,
    partner: String,
    inside: String,
    outside: String,
}

/// A second partner with one account, and an account of the default partner.
async fn branded() -> Branded {
    let app = TestApp::spawn().await;
    let partner = app.create_partner("Spree Net").await;
    let inside = app
        .create_account(
            "spree-1",
            json!({ "partnerId": partner, "status": "ACTIVE" }),
        )
        .await;
    let outside = app
        .create_account("plain-1", json!({ "status": "ACTIVE" }))
        .await;
    Branded {
        app,
        partner,
        inside,
        outside,
    }
}

async fn set_logo(b: &Branded, colour: &str, logo: (Vec<u8>, &str, &str)) -> Value {
    let (status, body) = b
        .app
        .multipart(
            b.app.admin(),
            BRAND,
            json!({ "p": b.partner, "c": colour, "f": null }),
            "f",
            logo,
            true,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"]["updatePartnerBranding"].clone()
}

async fn get(b: &Branded, path: &str) -> reqwest::Response {
    b.app
        .client
        .get(b.app.url(path))
        .send()
        .await
        .expect("sent")
}

async fn branding_of(b: &Branded, account: &str) -> Value {
    let token = b.app.token_for(account).await;
    b.app.ok(MINE, json!({}), Some(&token)).await["viewer"]["account"]["partner"]["branding"]
        .clone()
}

#[tokio::test]
async fn a_partners_colour_and_logo_reach_its_accounts_and_no_other() {
    let b = branded().await;
    let logo = png();
    let out = set_logo(&b, "#0B5D4B", (logo.clone(), "logo.png", "image/png")).await;
    assert_eq!(out["userErrors"], json!([]));
    let named = b
        .app
        .ok(
            NAME,
            json!({ "p": b.partner, "n": "  Spree Net  " }),
            Some(b.app.admin()),
        )
        .await;
    assert_eq!(named["updatePartnerBranding"]["userErrors"], json!([]));
    let mine = branding_of(&b, &b.inside).await;
    assert_eq!(mine["displayName"], "Spree Net", "trimmed");
    assert_eq!(mine["accentColor"], "#0b5d4b", "kept in one spelling");
    let url = mine["logoUrl"]
        .as_str()
        .expect("a logo address")
        .to_string();
    assert!(
        url.starts_with("/branding/") && url.contains("/logo?v="),
        "{url}"
    );
    assert_eq!(
        branding_of(&b, &b.outside).await,
        json!({ "displayName": null, "accentColor": null, "logoUrl": null }),
        "another partner's accounts keep the portal's own look"
    );

    // The address serves the very bytes, as what they were judged to be, cached for good.
    let resp = get(&b, &url).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(header("content-type"), "image/png");
    assert!(header("cache-control").contains("immutable"));
    assert_eq!(header("content-security-policy"), "default-src 'none'");
    assert_eq!(resp.bytes().await.expect("bytes").to_vec(), logo);
    // An address without the current version is revalidated, not kept.
    let stale = url.split('?').next().expect("path").to_string() + "?v=0000";
    let resp = get(&b, &stale).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("public, no-cache")
    );

    // A new logo is a new address.
    let mut other = png();
    other.push(1);
    set_logo(&b, "#0b5d4b", (other, "logo.png", "image/png")).await;
    assert_ne!(branding_of(&b, &b.inside).await["logoUrl"], url.as_str());
}

#[tokio::test]
async fn a_light_colour_or_a_logo_that_is_not_png_or_jpeg_is_refused_and_changes_nothing() {
    let b = branded().await;
    set_logo(&b, "#12355b", (png(), "logo.png", "image/png")).await;
    let before = branding_of(&b, &b.inside).await;
    for (colour, field) in [
        ("#ffeb3b", "accentColor"),
        ("navy", "accentColor"),
        ("#12345", "accentColor"),
    ] {
        let out = b
            .app
            .ok(
                COLOUR_ONLY,
                json!({ "p": b.partner, "c": colour }),
                Some(b.app.admin()),
            )
            .await["updatePartnerBranding"]
            .clone();
        assert_eq!(out["partner"], Value::Null, "{colour}");
        assert_eq!(out["userErrors"][0]["code"], "INVALID_INPUT", "{colour}");
        assert_eq!(
            out["userErrors"][0]["field"],
            json!(["input", field]),
            "{colour}"
        );
    }
    let long = "x".repeat(61);
    for name in ["", "   ", long.as_str()] {
        let out = b
            .app
            .ok(
                NAME,
                json!({ "p": b.partner, "n": name }),
                Some(b.app.admin()),
            )
            .await["updatePartnerBranding"]
            .clone();
        assert_eq!(
            out["userErrors"][0]["field"],
            json!(["input", "displayName"]),
            "{name:?}"
        );
    }
    let svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>".to_vec();
    let large = {
        let mut bytes = png();
        bytes.resize(256 * 1024 + 1, 0);
        bytes
    };
    for (bytes, name, mime) in [
        (svg, "logo.png", "image/png"),
        (large, "big.png", "image/png"),
    ] {
        let out = set_logo(&b, "#0b5d4b", (bytes, name, mime)).await;
        assert_eq!(out["userErrors"][0]["code"], "INVALID_INPUT", "{name}");
        assert_eq!(
            out["userErrors"][0]["field"],
            json!(["input", "logo"]),
            "{name}"
        );
    }
    assert_eq!(branding_of(&b, &b.inside).await, before, "nothing changed");
}

#[tokio::test]
async fn null_removes_the_branding_and_its_logo_address() {
    let b = branded().await;
    set_logo(&b, "#0b5d4b", (png(), "logo.png", "image/png")).await;
    let url = branding_of(&b, &b.inside).await["logoUrl"]
        .as_str()
        .expect("logo")
        .to_string();
    b.app
        .ok(
            NAME,
            json!({ "p": b.partner, "n": "Spree Net" }),
            Some(b.app.admin()),
        )
        .await;
    // A change that names only the colour keeps the logo.
    b.app
        .ok(
            COLOUR_ONLY,
            json!({ "p": b.partner, "c": "#1d1d1d" }),
            Some(b.app.admin()),
        )
        .await;
    assert_eq!(branding_of(&b, &b.inside).await["logoUrl"], url.as_str());
    let out = b
        .app
        .ok(CLEAR, json!({ "p": b.partner }), Some(b.app.admin()))
        .await;
    assert_eq!(out["updatePartnerBranding"]["userErrors"], json!([]));
    assert_eq!(
        branding_of(&b, &b.inside).await,
        json!({ "displayName": null, "accentColor": null, "logoUrl": null })
    );
    let resp = get(&b, &url).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    // Nor is anything served for a partner without a logo or for an id of another kind.
    for path in [
        "/branding/UGFydG5lcjo5OTk/logo",
        "/branding/QWNjb3VudDox/logo",
        "/branding/x/logo",
    ] {
        let resp = get(&b, path).await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn customers_cannot_change_a_partners_branding() {
    let b = branded().await;
    let token = b.app.token_for(&b.inside).await;
    let (status, body) = b
        .app
        .graphql(
            COLOUR_ONLY,
            json!({ "p": b.partner, "c": "#000000" }),
            Some(&token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(first_code(&body), "FORBIDDEN");
    assert_eq!(
        branding_of(&b, &b.inside).await,
        json!({ "displayName": null, "accentColor": null, "logoUrl": null })
    );
}
