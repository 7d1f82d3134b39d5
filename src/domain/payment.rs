//! Payments: the `PaymentGateway` trait a real provider implements, and the deterministic
//! test gateway shipped for development and tests (`tok_ok` succeeds, `tok_declined` is
//! declined, anything else is invalid input). Account-balance payments go through the ledger.

use std::{future::Future, pin::Pin, sync::Arc};

use crate::money::Money;

/// What the gateway answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeOutcome {
    /// Money was taken; the provider's reference.
    Approved { reference: String },
    /// The provider refused (card declined, limit, ...).
    Declined { reason: String },
}

/// Why a charge could not even be attempted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// The payment token is not one the provider knows: the client's fault.
    #[error("unknown payment token")]
    InvalidToken,
    /// The provider could not be reached or answered nonsense.
    #[error("payment provider unavailable: {0}")]
    Unavailable(String),
}

pub type ChargeFuture<'a> =
    Pin<Box<dyn Future<Output = Result<ChargeOutcome, GatewayError>> + Send + 'a>>;

/// A card or wallet payment provider. `idempotency_key` lets a provider deduplicate retries.
pub trait PaymentGateway: Send + Sync {
    fn charge<'a>(
        &'a self,
        token: &'a str,
        amount: Money,
        idempotency_key: &'a str,
    ) -> ChargeFuture<'a>;
}

/// The deterministic gateway: `tok_ok` succeeds, `tok_declined` is declined.
pub struct TestGateway;

impl PaymentGateway for TestGateway {
    fn charge<'a>(
        &'a self,
        token: &'a str,
        amount: Money,
        idempotency_key: &'a str,
    ) -> ChargeFuture<'a> {
        Box::pin(async move {
            match token {
                "tok_ok" => Ok(ChargeOutcome::Approved {
                    reference: format!("test_{idempotency_key}_{}", amount.minor()),
                }),
                "tok_declined" => Ok(ChargeOutcome::Declined {
                    reason: "card declined".into(),
                }),
                _ => Err(GatewayError::InvalidToken),
            }
        })
    }
}

/// The gateway named by configuration.
pub fn from_name(name: &str) -> anyhow::Result<Arc<dyn PaymentGateway>> {
    match name {
        "test" => Ok(Arc::new(TestGateway)),
        other => anyhow::bail!("unknown payment gateway {other:?}; this build ships \"test\""),
    }
}
