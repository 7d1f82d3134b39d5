//! The playground: GraphiQL's production build and React, served by the server itself from
//! assets embedded in the binary (`assets/playground`, refreshed from pinned npm releases by
//! `scripts/refresh-playground.sh`), so it works with no outside network. A tab per trusted
//! document; the header editor starts with `Authorization: Bearer ` and the page says how to
//! fill it. The page allows only its own assets (CSP) and no framing. Asset URLs carry the
//! build's version of them (`?v=`: a digest of the embedded bytes), so a year's caching never
//! serves a page the scripts of another build.

use axum::{
    extract::Path,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

/// The page's Content-Security-Policy: only its own scripts, styles (GraphiQL sets inline
/// style attributes), images and fonts; requests only to this origin; no framing.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; \
form-action 'none'; frame-ancestors 'none'";

const INDEX: &str = include_str!("../../assets/playground/index.html");

/// An embedded asset: name, content type, bytes.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/playground/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/playground/graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/playground/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/playground/react-dom.production.min.js"),
    ),
    (
        "playground.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/playground/playground.js"),
    ),
    (
        "playground.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/playground/playground.css"),
    ),
];

/// A page's own headers: its Content-Security-Policy, no framing, not cached.
pub(super) fn with_page_headers(mut response: Response, csp: &'static str) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The page with its asset URLs versioned by the embedded bytes (examples.js, made per
/// server, is never cached).
static VERSIONED_INDEX: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    use sha2::{Digest, Sha256};
    let mut digest = Sha256::new();
    for (name, _, bytes) in ASSETS {
        digest.update(name.as_bytes());
        digest.update(bytes);
    }
    let version: String = digest.finalize()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut page = INDEX.to_string();
    for (name, _, _) in ASSETS {
        page = page.replace(
            &format!("/playground/{name}\""),
            &format!("/playground/{name}?v={version}\""),
        );
    }
    page
});

/// The playground page.
pub fn page() -> Response {
    with_page_headers(
        (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            VERSIONED_INDEX.as_str(),
        )
            .into_response(),
        CSP,
    )
}

/// `GET /playground/{file}`: an embedded asset, or the example operations.
pub(super) async fn asset(
    axum::extract::State(ctx): axum::extract::State<super::Ctx>,
    Path(file): Path<String>,
) -> Response {
    // The page asks for them by version (VERSIONED_INDEX): a new build, a new URL.
    let logins = crate::gate::trusted::Logins::of(&ctx.state().config);
    embedded(
        &file,
        "examples.js",
        logins,
        ASSETS,
        "public, max-age=31536000, immutable",
    )
}

/// An embedded asset of a page by name, or (as `manifest`) the trusted documents as a
/// script (`window.PORTAL_EXAMPLES`: name, documentId, text, example variables).
pub(super) fn embedded(
    file: &str,
    manifest: &str,
    logins: crate::gate::trusted::Logins,
    assets: &[(&str, &'static str, &'static [u8])],
    cache: &'static str,
) -> Response {
    if file == manifest {
        return (
            [
                (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            crate::gate::trusted::examples_js(logins),
        )
            .into_response();
    }
    match assets.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, cache),
            ],
            *bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_assets_are_the_pinned_releases() {
        use sha2::{Digest, Sha256};
        let versions = include_str!("../../assets/playground/VERSIONS");
        let mut checked = 0;
        for line in versions.lines().filter(|l| !l.starts_with('#')) {
            let mut parts = line.split_whitespace();
            let (Some(hash), Some(file)) = (parts.next(), parts.next()) else {
                continue;
            };
            if hash.len() != 64 {
                continue;
            }
            let (_, _, bytes) = ASSETS
                .iter()
                .find(|(name, _, _)| *name == file)
                .unwrap_or_else(|| panic!("{file} is listed but not served"));
            let digest: String = Sha256::digest(bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(
                digest, hash,
                "{file} differs from its release: run scripts/refresh-playground.sh"
            );
            checked += 1;
        }
        assert_eq!(checked, 4, "GraphiQL's script and style, React, React DOM");
    }

    #[test]
    fn the_page_loads_only_its_own_assets() {
        for src in INDEX
            .split(['"', '\''])
            .filter(|s| s.ends_with(".js") || s.ends_with(".css"))
        {
            assert!(src.starts_with("/playground/"), "{src}");
            let file = &src["/playground/".len()..];
            assert!(
                file == "examples.js" || ASSETS.iter().any(|(name, _, _)| *name == file),
                "{file} is not embedded"
            );
        }
        assert!(!INDEX.contains("http"), "no other host");
    }

    #[test]
    fn every_cached_asset_is_asked_for_by_version() {
        for (name, _, _) in ASSETS {
            let at = VERSIONED_INDEX
                .find(&format!("/playground/{name}?v="))
                .unwrap_or_else(|| panic!("{name} unversioned: {}", *VERSIONED_INDEX));
            let version = &VERSIONED_INDEX[at + name.len() + 15..][..12];
            assert!(version.chars().all(|c| c.is_ascii_hexdigit()), "{version}");
        }
    }
}
