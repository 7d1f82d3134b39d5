//! The activity history: every change leaves an entry on the account it touched, stored as
//! references and facts ([`crate::domain::record`]) and rendered per reader when read: a reader
//! who may not see an object the entry is about does not get the entry (the lists filter it
//! with the policy's scope), and a fact about another object is shown only to a reader who
//! may see that object.

pub mod feed;

use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde_json::Value;

use entity::activity;

use crate::domain::record::{About, Actor, Reader, Record, Ref};
use crate::{auth::Viewer, error::AppResult};

crate::domain::named_enum! {
    /// What an activity entry records; stored (and shown) as its dotted name, e.g.
    /// `sub_account.linked`.
    pub enum Activity {
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

/// Writes one history entry of `account_id`: who acted, on behalf of which account (when the
/// actor is not the account itself), from where, what, the objects it is about and its facts.
/// What a reader sees of it is rendered when it is read ([`shown`]).
pub async fn record<C: ConnectionTrait>(
    db: &C,
    account_id: i64,
    viewer: &Viewer,
    what: Activity,
    record: Record,
) -> AppResult<()> {
    let actor = Actor::of(viewer);
    let (actor_kind, actor_id) = Actor::columns(actor);
    let for_another = actor.and_then(Actor::account) != Some(account_id);
    let client = client();
    activity::ActiveModel {
        account_id: Set(account_id),
        action: Set(what.as_str().to_string()),
        details: Set(record.facts_json()),
        created_at: Set(crate::domain::now()),
        actor_kind: Set(actor_kind),
        actor_id: Set(actor_id),
        on_behalf_of_id: Set(for_another.then_some(account_id)),
        client_address: Set(client.address),
        user_agent: Set(client
            .user_agent
            .map(|ua| ua.chars().take(USER_AGENT_CHARS).collect())),
        order_id: Set(record.about.order),
        invoice_id: Set(record.about.invoice),
        ticket_id: Set(record.about.ticket),
        service_id: Set(record.about.service),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// An entry as stored: its objects and facts.
pub fn record_of(entry: &activity::Model) -> Record {
    Record::read(
        About {
            order: entry.order_id,
            invoice: entry.invoice_id,
            ticket: entry.ticket_id,
            service: entry.service_id,
        },
        &entry.details,
    )
}

/// The actor of an entry.
pub fn actor_of(entry: &activity::Model) -> Option<Actor> {
    Actor::from_columns(entry.actor_kind, entry.actor_id)
}

/// Every object an entry names (with its actor and the account it is on), for loading what
/// a reader needs.
pub fn refs_of(entry: &activity::Model) -> Vec<Ref> {
    let mut refs: Vec<Ref> = record_of(entry).refs().collect();
    refs.push(Ref::Account(entry.account_id));
    refs.extend(entry.on_behalf_of_id.map(Ref::Account));
    match actor_of(entry) {
        Some(Actor::Account(id)) => refs.push(Ref::Account(id)),
        Some(Actor::Staff(id)) => refs.push(Ref::Staff(id)),
        _ => {}
    }
    refs
}

/// An entry as one reader gets it.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    /// How the actor is named to the reader.
    pub actor: String,
    /// The facts it may get: `{name: value, …, "before": {…}, "after": {…}}`.
    pub details: Value,
}

impl Shown {
    pub fn before(&self) -> Option<&Value> {
        self.details.get("before")
    }

    pub fn after(&self) -> Option<&Value> {
        self.details.get("after")
    }
}

/// An entry rendered for `reader` (which has the rows [`refs_of`] names).
pub fn shown(reader: &Reader<'_>, entry: &activity::Model) -> Shown {
    Shown {
        actor: reader.actor(actor_of(entry)),
        details: record_of(entry).show(reader),
    }
}

/// Where a request came from is the actor's own: staff see it, and so does the account
/// that acted.
pub fn origin_visible(viewer: &Viewer, entry: &activity::Model) -> bool {
    viewer.is_admin()
        || (actor_of(entry).and_then(Actor::account).is_some()
            && viewer.account().map(|a| a.id) == entry.actor_id)
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
