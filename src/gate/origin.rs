//! Where a call comes from: the client's address (the connection's peer, or, behind the
//! trusted proxies, the nearest address before them in `X-Forwarded-For`), its user agent
//! and its language, as every transport reads them from the request that opened it.

use std::net::IpAddr;

use axum::http::{HeaderMap, header};

use crate::domain::{activity::Client, language::Language};

/// The language the caller reads the server's sentences in (`Accept-Language`; English
/// when it names none spoken here).
pub fn language(headers: &HeaderMap) -> Language {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Language::from_accept_language)
        .unwrap_or_default()
}

/// The client's address: the connection's peer, or, when that peer is a trusted proxy (a
/// load balancer, `PORTAL_TRUSTED_PROXIES`), the nearest address before it in
/// `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_address(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|a| !trusted.contains(a))
            .unwrap_or(peer),
    )
}

/// The origin of a call: its address and user agent.
pub fn of(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted: &[IpAddr],
) -> (Option<IpAddr>, Client) {
    let address = client_address(peer, headers, trusted);
    let client = Client {
        address: address.map(|ip| ip.to_string()),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    };
    (address, client)
}
