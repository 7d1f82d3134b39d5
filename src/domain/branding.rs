//! A partner's branding: the name, the accent colour and the logo the portal of its
//! accounts shows.
//! Staff set them; every viewer who sees the partner reads them. The colour must carry white
//! text (WCAG contrast at least 4.5:1), so no partner can make the portal unreadable; the
//! logo is a PNG or JPEG judged by its bytes (never SVG: a script in an image is still a
//! script on our origin when opened by its address), at most 256 KiB.

use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};

use entity::{partner, partner_logo};

use super::{document::sha256_hex, validate::Checks};
use crate::{
    auth::Viewer,
    error::{AppError, AppResult},
    policy,
};

/// The largest logo accepted.
pub const MAX_LOGO_BYTES: usize = 256 * 1024;

/// The least contrast of white text on the accent colour (WCAG AA for body text).
const MIN_CONTRAST: f64 = 4.5;

/// One part of a branding change.
pub enum Change<T> {
    Keep,
    Clear,
    Set(T),
}

impl<T> Change<T> {
    /// The value to set, checked or normalised by `f`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Change<U> {
        match self {
            Change::Keep => Change::Keep,
            Change::Clear => Change::Clear,
            Change::Set(value) => Change::Set(f(value)),
        }
    }

    /// The column's new value (`None` inside: emptied), or `None` when it stays.
    fn column(self) -> Option<Option<T>> {
        match self {
            Change::Keep => None,
            Change::Clear => Some(None),
            Change::Set(value) => Some(Some(value)),
        }
    }
}

/// What an admin changes; `Keep` leaves a part as it is.
pub struct BrandingChange {
    pub display_name: Change<String>,
    pub accent_color: Change<String>,
    pub logo: Change<Vec<u8>>,
}

/// The media type of a logo, judged by its first bytes; `None` for anything else.
pub fn logo_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else {
        None
    }
}

/// `#rrggbb` as its three channels.
fn channels(color: &str) -> Option<[u8; 3]> {
    let hex = color.strip_prefix('#')?;
    if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some([channel(0)?, channel(2)?, channel(4)?])
}

/// The contrast ratio of white on this colour (WCAG 2 relative luminance).
fn contrast_with_white([r, g, b]: [u8; 3]) -> f64 {
    let linear = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let luminance = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
    1.05 / (luminance + 0.05)
}

/// Staff change a partner's branding (one transaction: the partner row and the logo's bytes).
pub async fn update(
    db: &DatabaseConnection,
    viewer: &Viewer,
    partner_id: i64,
    change: BrandingChange,
) -> AppResult<partner::Model> {
    policy::require_admin(viewer)?;
    let mut checks = Checks::default();
    let name = change
        .display_name
        .map(|name| checks.text("displayName", &name, 1, 60));
    let color = change.accent_color.map(|color| {
        let parsed = channels(&color);
        checks.require(
            parsed.is_some(),
            "accentColor",
            "must be a colour like #12355b",
        );
        checks.require(
            parsed.is_none_or(|c| contrast_with_white(c) >= MIN_CONTRAST),
            "accentColor",
            "is too light for white text on it (contrast under 4.5:1); choose a darker colour",
        );
        color.to_ascii_lowercase()
    });
    let logo = change.logo.map(|bytes| {
        checks.require(
            !bytes.is_empty() && bytes.len() <= MAX_LOGO_BYTES,
            "logo",
            "the logo must hold 1 byte to 256 KiB",
        );
        let kind = logo_type(&bytes);
        checks.require(
            kind.is_some(),
            "logo",
            "only PNG and JPEG logos are accepted",
        );
        (kind.unwrap_or_default(), bytes)
    });
    checks.finish()?;
    let txn = crate::db::write_txn(db).await?;
    let current = partner::Entity::find_by_id(partner_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut active: partner::ActiveModel = current.into();
    if let Some(name) = name.column() {
        active.display_name = Set(name);
    }
    if let Some(color) = color.column() {
        active.accent_color = Set(color);
    }
    if let Some(logo) = logo.column() {
        // The bytes apart, the type and digest with the partner (read without the bytes).
        partner_logo::Entity::delete_by_id(partner_id)
            .exec(&txn)
            .await?;
        active.logo_type = Set(logo.as_ref().map(|(kind, _)| kind.to_string()));
        active.logo_digest = Set(logo.as_ref().map(|(_, bytes)| sha256_hex(bytes)));
        if let Some((_, bytes)) = logo {
            partner_logo::ActiveModel {
                partner_id: Set(partner_id),
                bytes: Set(bytes),
            }
            .insert(&txn)
            .await?;
        }
    }
    let updated = active.update(&txn).await?;
    txn.commit().await?;
    Ok(updated)
}

/// A partner's logo: its media type, digest and bytes. Public: a logo is what a partner
/// shows everyone (an `<img>` sends no token).
pub async fn logo(
    db: &DatabaseConnection,
    partner_id: i64,
) -> AppResult<(String, String, Vec<u8>)> {
    let partner = partner::Entity::find_by_id(partner_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let (Some(kind), Some(digest)) = (partner.logo_type, partner.logo_digest) else {
        return Err(AppError::NotFound);
    };
    let bytes = partner_logo::Entity::find_by_id(partner_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((kind, digest, bytes.bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_blue_carries_white_text_and_a_pale_yellow_does_not() {
        let contrast = |c: &str| contrast_with_white(channels(c).expect("colour"));
        assert!(contrast("#12355b") > 10.0);
        assert!(contrast("#ffeb3b") < MIN_CONTRAST);
        // Pure black and white are the ends of the scale.
        assert!((contrast("#000000") - 21.0).abs() < 0.01);
        assert!((contrast("#ffffff") - 1.0).abs() < 0.01);
    }

    #[test]
    fn colours_are_six_hex_digits_after_a_hash() {
        assert_eq!(channels("#0A0b0c"), Some([10, 11, 12]));
        for bad in ["0a0b0c", "#abc", "#gggggg", "#0a0b0c0d", "", "#ééé"] {
            assert_eq!(channels(bad), None, "{bad}");
        }
    }

    #[test]
    fn logos_are_judged_by_their_bytes() {
        assert_eq!(logo_type(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(logo_type(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(
            logo_type(b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
            None
        );
        assert_eq!(logo_type(b"%PDF-1.4"), None);
    }
}
