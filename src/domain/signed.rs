//! Signed, expiring links (document downloads, activity exports): an HMAC-SHA256 over what
//! the link grants and its expiry, with the installation's link key. A link is checked in
//! constant time; a tampered or expired one is refused without saying which.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{AppError, AppResult};

type HmacSha256 = Hmac<Sha256>;

fn mac(key: &[u8], grants: &str, expires: i64) -> AppResult<HmacSha256> {
    let mut mac = HmacSha256::new_from_slice(key)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("hmac key: {e}")))?;
    mac.update(format!("{grants}:{expires}").as_bytes());
    Ok(mac)
}

/// The signature (hex) of a link granting `grants` until `expires` (Unix seconds).
pub fn sign(key: &[u8], grants: &str, expires: i64) -> AppResult<String> {
    let sig = mac(key, grants, expires)?.finalize().into_bytes();
    Ok(sig.iter().map(|b| format!("{b:02x}")).collect())
}

/// Whether `sig_hex` signs `grants` until `expires`, and `now` is not past it.
pub fn verify(key: &[u8], grants: &str, expires: i64, sig_hex: &str, now: DateTime<Utc>) -> bool {
    if expires < now.timestamp() || sig_hex.len() != 64 {
        return false;
    }
    let Some(sig) = (0..32)
        .map(|i| u8::from_str_radix(sig_hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()
    else {
        return false;
    };
    mac(key, grants, expires).is_ok_and(|m| m.verify_slice(&sig).is_ok())
}
