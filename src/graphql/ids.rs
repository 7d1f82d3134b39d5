//! Opaque global IDs: base64url of `Type:pk`. A malformed ID, or one of another type where a
//! given type is expected, is `NOT_FOUND` (as is a foreign one, by the policy).

use async_graphql::ID;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::error::AppError;

/// The node types that have global IDs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Account,
    Partner,
    Tariff,
    EmailTemplate,
    Service,
    ChangeRequest,
    Activity,
    Order,
    ServiceRequest,
    Invoice,
    Document,
    Notification,
    Ticket,
    TicketMessage,
    VoiceCall,
    InternetSession,
    StaffUser,
}

impl Kind {
    const ALL: [Kind; 17] = [
        Kind::Account,
        Kind::Partner,
        Kind::Tariff,
        Kind::EmailTemplate,
        Kind::Service,
        Kind::ChangeRequest,
        Kind::Activity,
        Kind::Order,
        Kind::ServiceRequest,
        Kind::Invoice,
        Kind::Document,
        Kind::Notification,
        Kind::Ticket,
        Kind::TicketMessage,
        Kind::VoiceCall,
        Kind::InternetSession,
        Kind::StaffUser,
    ];

    fn name(self) -> &'static str {
        match self {
            Kind::Account => "Account",
            Kind::Partner => "Partner",
            Kind::Tariff => "Tariff",
            Kind::EmailTemplate => "EmailTemplate",
            Kind::Service => "Service",
            Kind::ChangeRequest => "ChangeRequest",
            Kind::Activity => "ActivityEntry",
            Kind::Order => "Order",
            Kind::ServiceRequest => "ServiceRequest",
            Kind::Invoice => "Invoice",
            Kind::Document => "Document",
            Kind::Notification => "Notification",
            Kind::Ticket => "Ticket",
            Kind::TicketMessage => "TicketMessage",
            Kind::VoiceCall => "VoiceCall",
            Kind::InternetSession => "InternetSession",
            Kind::StaffUser => "StaffUser",
        }
    }
}

pub fn encode(kind: Kind, pk: i64) -> ID {
    ID(text(kind, pk).as_str().to_owned())
}

/// An ID's text, held on the stack: what a compiled plan writes into its answer without an
/// allocation per ID. The longest is 48 characters (`InternetSession:` and a negative
/// 19-digit key, 36 bytes, in base64).
pub struct Text {
    buf: [u8; 64],
    len: usize,
}

impl Text {
    pub fn as_str(&self) -> &str {
        // base64url writes ASCII only.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
    }
}

/// The text of `kind`'s ID for `pk` ([`encode`]'s, without allocating).
pub fn text(kind: Kind, pk: i64) -> Text {
    use std::io::Write;
    let mut plain = [0u8; 48];
    let room = plain.len();
    let mut rest = &mut plain[..];
    // 36 bytes at most: it fits.
    let _ = write!(rest, "{}:{pk}", kind.name());
    let written = room - rest.len();
    let mut text = Text {
        buf: [0; 64],
        len: 0,
    };
    text.len = URL_SAFE_NO_PAD
        .encode_slice(&plain[..written], &mut text.buf)
        .unwrap_or_default();
    text
}

/// Splits any global ID into its kind and primary key.
pub fn decode_any(id: &ID) -> Result<(Kind, i64), AppError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(id.as_str())
        .map_err(|_| AppError::NotFound)?;
    let text = String::from_utf8(bytes).map_err(|_| AppError::NotFound)?;
    let (name, pk) = text.split_once(':').ok_or(AppError::NotFound)?;
    let kind = Kind::ALL
        .into_iter()
        .find(|k| k.name() == name)
        .ok_or(AppError::NotFound)?;
    let pk = pk.parse::<i64>().map_err(|_| AppError::NotFound)?;
    Ok((kind, pk))
}

/// The primary key of an ID that must be of `kind`.
pub fn decode(kind: Kind, id: &ID) -> Result<i64, AppError> {
    match decode_any(id)? {
        (k, pk) if k == kind => Ok(pk),
        _ => Err(AppError::NotFound),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_round_trips_and_is_opaque() {
        let id = encode(Kind::Account, 42);
        assert!(!id.as_str().contains("42"));
        assert_eq!(decode(Kind::Account, &id).expect("decodes"), 42);
    }

    #[test]
    fn every_kind_s_id_is_base64url_of_its_name_and_key_even_the_longest() {
        for kind in Kind::ALL {
            for pk in [0, 1, 42, -1, i64::MAX, i64::MIN] {
                let plain = format!("{}:{pk}", kind.name());
                assert_eq!(
                    encode(kind, pk).as_str(),
                    URL_SAFE_NO_PAD.encode(&plain),
                    "{plain}"
                );
                assert_eq!(decode(kind, &encode(kind, pk)).expect("decodes"), pk);
            }
        }
    }

    #[test]
    fn an_id_of_another_type_or_garbage_is_not_found() {
        assert!(matches!(
            decode(Kind::Tariff, &encode(Kind::Account, 1)),
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            decode(Kind::Account, &ID("%%%".into())),
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            decode(Kind::Account, &ID(URL_SAFE_NO_PAD.encode("Account:x"))),
            Err(AppError::NotFound)
        ));
    }
}
