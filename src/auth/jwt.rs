//! Access tokens: HS256 with one pinned algorithm, required `sub role exp iat iss aud`,
//! 30 s leeway. `alg: none`, another algorithm, a wrong key, issuer or audience, or an
//! expired token are all refused; a bad token is never treated as anonymous.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::Subject;
use crate::{error::AppError, lock};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    Admin,
    Customer,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    pub iss: String,
    pub aud: String,
    /// The session (refresh-token family) the token was issued for; absent on tokens the CLI
    /// mints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub subject: Subject,
    /// Expiry, unix seconds.
    pub expires: i64,
    pub session: Option<String>,
}

/// Signs and checks access tokens for one configuration.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    /// Tokens whose signature and claims were checked (a client sends the same token with
    /// each request until it expires), by their text: a later use checks the expiry alone.
    verified: Arc<Mutex<HashMap<String, Verified, foldhash::fast::RandomState>>>,
}

/// How many verified tokens a process keeps (about 300 bytes each); when full it starts over.
const VERIFIED_KEPT: usize = 1024;

impl JwtKeys {
    pub fn new(secret: &[u8], issuer: &str, audience: &str) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["sub", "exp", "iat", "iss", "aud"]);
        validation.leeway = 30;
        validation.validate_nbf = true;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: issuer.into(),
            audience: audience.into(),
            verified: Arc::default(),
        }
    }

    /// Issues a token for `subject` living `ttl`, outside any session; returns it with its
    /// expiry.
    pub fn issue(
        &self,
        subject: Subject,
        ttl: Duration,
    ) -> Result<(String, DateTime<Utc>), AppError> {
        self.issue_for_session(subject, ttl, None)
    }

    /// Issues a token of session `session` (its refresh-token family).
    pub fn issue_for_session(
        &self,
        subject: Subject,
        ttl: Duration,
        session: Option<&str>,
    ) -> Result<(String, DateTime<Utc>), AppError> {
        let now = Utc::now();
        let ttl = chrono::Duration::from_std(ttl).map_err(|e| AppError::Internal(e.into()))?;
        let expires = now + ttl;
        let claims = Claims {
            sub: subject.encode(),
            role: subject.role(),
            exp: expires.timestamp(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sid: session.map(str::to_string),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AppError::Internal(e.into()))?;
        Ok((token, expires))
    }

    /// Checks a token and returns its subject; any fault is `UNAUTHENTICATED`.
    pub fn verify(&self, token: &str) -> Result<Subject, AppError> {
        self.verify_token(token).map(|v| v.subject)
    }

    /// Checks a token: its subject, expiry (for long-lived connections that must re-check
    /// it) and session.
    pub fn verify_token(&self, token: &str) -> Result<Verified, AppError> {
        self.verify_token_at(token, Utc::now().timestamp())
    }

    /// [`Self::verify_token`] at `now` (unix seconds) for a token verified before: expired
    /// as `jsonwebtoken` says it (past its expiry by more than the leeway).
    fn verify_token_at(&self, token: &str, now: i64) -> Result<Verified, AppError> {
        let leeway = i64::try_from(self.validation.leeway).unwrap_or(i64::MAX);
        let kept = lock(&self.verified).get(token).cloned();
        if let Some(verified) = kept {
            if verified.expires < now.saturating_sub(leeway) {
                return Err(AppError::Unauthenticated("invalid or expired access token"));
            }
            return Ok(verified);
        }
        let verified = self.check(token)?;
        let mut kept = lock(&self.verified);
        if kept.len() >= VERIFIED_KEPT {
            kept.clear();
        }
        kept.insert(token.to_owned(), verified.clone());
        Ok(verified)
    }

    /// The signature and every claim of a token.
    fn check(&self, token: &str) -> Result<Verified, AppError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| {
                tracing::debug!(error = %e, "rejected access token");
                AppError::Unauthenticated("invalid or expired access token")
            })?;
        let subject = Subject::parse(&data.claims.sub)
            .ok_or(AppError::Unauthenticated("invalid or expired access token"))?;
        // The role claim must agree with the subject's table: a customer cannot mint itself admin.
        if subject.role() != data.claims.role {
            return Err(AppError::Unauthenticated("invalid or expired access token"));
        }
        Ok(Verified {
            subject,
            expires: data.claims.exp,
            session: data.claims.sid,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> JwtKeys {
        JwtKeys::new(
            b"test-secret-test-secret-test-secret",
            "portal-api",
            "portal",
        )
    }

    #[test]
    fn a_token_round_trips_to_its_subject() {
        let (token, _) = keys()
            .issue(Subject::Account(7), Duration::from_secs(60))
            .expect("signs");
        assert_eq!(keys().verify(&token).expect("valid"), Subject::Account(7));
    }

    #[test]
    fn a_token_signed_with_another_key_is_refused() {
        let other = JwtKeys::new(b"another-secret-another-secret-xx", "portal-api", "portal");
        let (token, _) = other
            .issue(Subject::Staff(1), Duration::from_secs(60))
            .expect("signs");
        assert!(matches!(
            keys().verify(&token),
            Err(AppError::Unauthenticated(_))
        ));
    }

    #[test]
    fn a_token_for_another_audience_is_refused() {
        let other = JwtKeys::new(
            b"test-secret-test-secret-test-secret",
            "portal-api",
            "billing",
        );
        let (token, _) = other
            .issue(Subject::Staff(1), Duration::from_secs(60))
            .expect("signs");
        assert!(matches!(
            keys().verify(&token),
            Err(AppError::Unauthenticated(_))
        ));
    }

    #[test]
    fn a_kept_token_expires_as_a_checked_one_does() {
        let keys = keys();
        let (token, expires) = keys
            .issue(Subject::Account(7), Duration::from_secs(60))
            .expect("signs");
        let exp = expires.timestamp();
        assert_eq!(
            keys.verify_token(&token).expect("valid").subject,
            Subject::Account(7)
        );
        assert!(lock(&keys.verified).contains_key(&token), "kept");
        // Within the 30 s leeway past its expiry, then no longer.
        assert!(keys.verify_token_at(&token, exp + 30).is_ok());
        assert!(matches!(
            keys.verify_token_at(&token, exp + 31),
            Err(AppError::Unauthenticated(_))
        ));
    }

    #[test]
    fn a_refused_token_is_not_kept_and_stays_refused() {
        let keys = keys();
        let other = JwtKeys::new(b"another-secret-another-secret-xx", "portal-api", "portal");
        let (token, _) = other
            .issue(Subject::Account(7), Duration::from_secs(60))
            .expect("signs");
        for _ in 0..2 {
            assert!(matches!(
                keys.verify_token(&token),
                Err(AppError::Unauthenticated(_))
            ));
        }
        assert!(lock(&keys.verified).is_empty());
    }

    #[test]
    fn the_kept_tokens_are_bounded() {
        let keys = keys();
        for n in 0..VERIFIED_KEPT as i64 + 5 {
            let (token, _) = keys
                .issue(Subject::Account(n), Duration::from_secs(60))
                .expect("signs");
            assert_eq!(
                keys.verify_token(&token).expect("valid").subject,
                Subject::Account(n)
            );
        }
        assert!(lock(&keys.verified).len() <= VERIFIED_KEPT);
    }
}
