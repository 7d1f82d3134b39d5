//! The activity history: every change leaves an entry on the account it touched. An entry
//! on an account names only what that account can open (a sub-account's history never
//! shows its main account's order or invoice numbers): the workflows write it that way.

use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde_json::Value;

use entity::activity;

use crate::{auth::Viewer, error::AppResult};

macro_rules! activities {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal,)+) => {
        /// What an activity entry records; stored (and shown) as its dotted name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Activity {
            $($(#[doc = $doc])* $variant,)+
        }

        impl Activity {
            /// Every kind of entry.
            pub const ALL: &'static [Activity] = &[$(Activity::$variant,)+];

            /// The name stored and shown, e.g. `sub_account.linked`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Activity::$variant => $name,)+
                }
            }
        }
    };
}

activities! {
    AccountCreated = "account.created",
    SubAccountLinked = "sub_account.linked",
    SubAccountUnlinked = "sub_account.unlinked",
    SubAccountManagementSet = "sub_account_management.set",
    BalanceAdjusted = "balance.adjusted",
    /// An order the account can open was placed.
    OrderPlaced = "order.placed",
    /// Services were ordered for the account by its main account (whose order it is).
    ServicesOrdered = "services.ordered",
    /// A sub-account's order waits for this main account.
    OrderAwaitingApproval = "order.awaiting_approval",
    OrderPaid = "order.paid",
    OrderPaymentFailed = "order.payment_failed",
    OrderRejected = "order.rejected",
    /// A waiting order was called off because its main account can no longer act on it.
    OrderCancelled = "order.cancelled",
    /// A waiting order expired: its main account did not answer in time.
    OrderExpired = "order.expired",
    /// A sub-account's order at or under its auto-approval threshold was paid at once.
    OrderAutoApproved = "order.auto_approved",
    /// A main account (or staff) set a sub-account's spending cap and threshold.
    SpendingControlsSet = "spending_controls.set",
    /// Money moved from one account's balance to another's.
    BalanceTransferred = "balance.transferred",
    ServiceRequestApproved = "service_request.approved",
    ServiceRequestRejected = "service_request.rejected",
    ServiceRequestRefunded = "service_request.refunded",
    ServiceActivated = "service.activated",
    ServicePaused = "service.paused",
    ServiceResumed = "service.resumed",
    ServiceChanged = "service.changed",
    ServiceChangeRequested = "service.change_requested",
    ServiceChangeApproved = "service.change_approved",
    ServiceChangeRejected = "service.change_rejected",
    /// Staff disabled the service from a date (not billed while disabled).
    ServiceDisabled = "service.disabled",
    /// Staff enabled a disabled service again.
    ServiceEnabled = "service.enabled",
    /// Staff set the day a service ends (it runs and is billed until then).
    ServiceEndScheduled = "service.end_scheduled",
    /// The service ended: archived by staff or, after its end date, by the daily job.
    ServiceArchived = "service.archived",
    TicketCreated = "ticket.created",
    TicketReplied = "ticket.replied",
    TicketClosed = "ticket.closed",
    /// Staff moved the ticket to another status.
    TicketStatusSet = "ticket.status_set",
    /// Staff assigned the ticket to a staff user (or took it off the queue of one).
    TicketAssigned = "ticket.assigned",
    /// Staff required a new password; every session ended.
    PasswordResetForced = "account.password_reset_forced",
    /// The account holder changed its password; its other sessions ended.
    PasswordChanged = "account.password_changed",
    DocumentUploaded = "document.uploaded",
    InvoiceIssued = "invoice.issued",
    InternetUsageRecorded = "usage.internet_recorded",
    VoiceUsageRecorded = "usage.voice_recorded",
}

/// Where a request came from: its client address (through trusted proxies) and user
/// agent, set once per HTTP request by the gate and written on every history entry the
/// request makes. Work nobody asked for over HTTP (jobs, the CLI) has none.
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub address: Option<String>,
    pub user_agent: Option<String>,
}

tokio::task_local! {
    static CLIENT: Client;
}

/// Runs `work` (a request's execution) with `client` as the origin of what it records.
pub async fn from_client<F: std::future::Future>(client: Client, work: F) -> F::Output {
    CLIENT.scope(client, work).await
}

fn client() -> Client {
    CLIENT.try_with(Client::clone).unwrap_or_default()
}

/// The longest user agent kept (the rest is cut).
const USER_AGENT_CHARS: usize = 300;

/// Writes one history entry of `account_id`: who acted (`actor`, and as kind and id), on
/// behalf of which account (when the actor is not the account itself), from where, what,
/// and the before/after details.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    account_id: i64,
    viewer: &Viewer,
    what: Activity,
    details: Value,
) -> AppResult<()> {
    let (kind, id) = match viewer {
        Viewer::Admin(staff) => (Some("STAFF"), Some(staff.id)),
        Viewer::Customer(c) => (Some("ACCOUNT"), Some(c.account.id)),
        Viewer::Anonymous => (None, None),
    };
    let for_another = !(kind == Some("ACCOUNT") && id == Some(account_id));
    let client = client();
    activity::ActiveModel {
        account_id: Set(account_id),
        actor: Set(viewer.actor_label()),
        action: Set(what.as_str().to_string()),
        details: Set(details.to_string()),
        created_at: Set(super::now()),
        actor_kind: Set(kind.map(str::to_string)),
        actor_id: Set(id),
        on_behalf_of_id: Set(for_another.then_some(account_id)),
        client_address: Set(client.address),
        user_agent: Set(client
            .user_agent
            .map(|ua| ua.chars().take(USER_AGENT_CHARS).collect())),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Activity;

    #[test]
    fn every_activity_has_its_own_dotted_name() {
        let mut names: Vec<&str> = Activity::ALL.iter().map(|a| a.as_str()).collect();
        assert!(names.iter().all(|n| n.contains('.')));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Activity::ALL.len());
    }
}
