//! The reference customer portal (`assets/portal`): a single page on nothing but the public
//! API, embedded in the binary and served at `/portal/` (the root redirects there). Its
//! operations are the trusted documents, served from the manifest as `operations.js`, so
//! the page and the server cannot disagree about them.

use axum::{
    extract::Path,
    http::header,
    response::{IntoResponse, Redirect, Response},
};

/// Only its own scripts, styles and API (HTTP and WebSocket); no framing.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; \
frame-ancestors 'none'";

const INDEX: &str = include_str!("../../assets/portal/index.html");

macro_rules! assets {
    ($($file:literal => $kind:literal,)+) => {
        /// The embedded assets: name, content type, bytes. The page loads `portal.js`, which
        /// imports the other modules.
        pub const ASSETS: &[(&str, &str, &[u8])] = &[
            $(($file, $kind, include_bytes!(concat!("../../assets/portal/", $file))),)+
        ];
    };
}

assets! {
    "portal.js" => "text/javascript; charset=utf-8",
    "api.js" => "text/javascript; charset=utf-8",
    "ui.js" => "text/javascript; charset=utf-8",
    "lists.js" => "text/javascript; charset=utf-8",
    "account.js" => "text/javascript; charset=utf-8",
    "usage.js" => "text/javascript; charset=utf-8",
    "tickets.js" => "text/javascript; charset=utf-8",
    "orders.js" => "text/javascript; charset=utf-8",
    "invoices.js" => "text/javascript; charset=utf-8",
    "notifications.js" => "text/javascript; charset=utf-8",
    "i18n.js" => "text/javascript; charset=utf-8",
    "pages.js" => "text/javascript; charset=utf-8",
    "portal.css" => "text/css; charset=utf-8",
}

/// `GET /`: to the portal.
pub async fn root() -> Redirect {
    Redirect::to("/portal/")
}

/// `GET /portal/`: the page.
pub async fn page() -> Response {
    super::playground::with_page_headers(
        ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], INDEX).into_response(),
        CSP,
    )
}

/// `GET /portal/{file}`: an embedded asset, or the trusted documents (`operations.js`).
pub(super) async fn asset(
    axum::extract::State(ctx): axum::extract::State<super::Ctx>,
    Path(file): Path<String>,
) -> Response {
    // Embedded in this build: a new server brings a new page.
    let logins = crate::gate::trusted::Logins::of(&ctx.state().config);
    super::playground::embedded(&file, "operations.js", logins, ASSETS, "no-cache")
}
