//! GraphQL enums, each mirroring the stored enum of the `entity` crate.

use async_graphql::Enum;

macro_rules! mirror {
    ($(#[$meta:meta])* $name:ident => $remote:literal { $($variant:ident = $doc:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
        #[graphql(remote = $remote)]
        pub enum $name { $(#[doc = $doc] $variant),+ }
    };
}

mirror!(
/// Lifecycle state of a customer account.
AccountStatus => "entity::enums::AccountStatus" {
    New = "Created, not yet in service.",
    Active = "In service.",
    Blocked = "Stopped by the ISP (e.g. unpaid); services are not usable.",
    Inactive = "No longer a customer; kept for history.",
});
mirror!(
/// `RECURRING`: invoiced monthly; `PREPAID`: pays from its balance in advance.
BillingMode => "entity::enums::BillingMode" {
    Recurring = "Invoiced every month; the balance may go below zero.",
    Prepaid = "Pays from its balance in advance; an invoice it cannot cover stays unpaid.",
});
mirror!(
/// `AGGREGATED`: its charges roll up to the main account; `INDEPENDENT`: billed on its own.
SubAccountType => "entity::enums::SubAccountType" {
    Aggregated = "Its charges roll up to its main account's invoice; the main may manage it.",
    Independent = "Billed on its own; the link is for visibility.",
});
mirror!(
/// Lifecycle state of a service.
ServiceStatus => "entity::enums::ServiceStatus" {
    Pending = "Requested, or approved with a start date still to come.",
    Active = "Running and billed.",
    Paused = "Stopped for a while by the customer; not billed while paused.",
    Disabled = "Stopped by staff from a date; not billed until enabled again.",
    Archived = "Ended on its end date; hidden from lists unless asked for, kept for history.",
});
mirror!(
/// What a tariff provides.
TariffKind => "entity::enums::TariffKind" {
    Internet = "Internet access (sessions are recorded as usage).",
    Voice = "Telephony (calls are recorded as usage).",
    Custom = "Anything else (installation, hardware, static IP …).",
});
mirror!(
/// How often a tariff is charged.
BillingPeriod => "entity::enums::BillingPeriod" {
    Monthly = "Charged every month, prorated to the day.",
    OneTime = "Charged once, when ordered.",
});
mirror!(
/// Lifecycle of a tariff change.
ChangeRequestStatus => "entity::enums::ChangeRequestStatus" {
    Pending = "Waiting for staff.",
    Approved = "Approved by staff; the new tariff applies from that day.",
    Rejected = "Refused by staff; the service keeps its tariff.",
    Applied = "A self-change, applied at once.",
});
mirror!(
/// `SELF_CHANGE` switches at once; `REQUEST` waits for an admin.
ChangeMode => "entity::enums::ChangeMode" {
    SelfChange = "Switch at once (when the current tariff allows it).",
    Request = "File a request that staff approve or reject.",
});
mirror!(
/// What an email template is used for.
EmailTemplateKind => "entity::enums::EmailTemplateKind" {
    ServiceOrder = "To a main account when one of its sub-accounts placed an order.",
});

/// The role of the viewer's token.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// ISP staff.
    Admin,
    /// An account holder.
    Customer,
}

/// Fields an account list can be sorted by.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountSortField {
    /// Alphabetically by full name.
    FullName,
    /// By lifecycle: NEW, ACTIVE, BLOCKED, INACTIVE.
    Status,
    /// By when the sub-account was linked.
    LinkedAt,
    /// By the sum of monthly prices of active services.
    TotalServiceCost,
}

/// Sort direction.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortDirection {
    /// Smallest first.
    Asc,
    /// Largest first.
    Desc,
}

mirror!(
/// Lifecycle of an order.
OrderStatus => "entity::enums::OrderStatus" {
    AwaitingMainApproval = "A sub-account's order, waiting for its main account to pay or reject it.",
    RejectedByMain = "Refused by the main account; nothing was charged.",
    PaymentFailed = "The payment did not go through; nothing was charged.",
    Paid = "Paid; its service requests wait for staff.",
    Approved = "Paid and every line approved by staff.",
    Rejected = "Paid, and staff rejected every line (refunded to the payer's balance).",
    Cancelled = "Called off: its main account could no longer act on it; nothing was charged.",
    Expired = "Waited longer than its partner's approval days; nothing was charged.",
});
mirror!(
/// Admin decision on a paid order line.
ServiceRequestStatus => "entity::enums::ServiceRequestStatus" {
    Pending = "Waiting for staff to set a start date.",
    Approved = "Approved: the service exists, active from its start date.",
    Rejected = "Rejected: its amount went back to the payer's balance.",
});
mirror!(
/// How a payment is made.
PaymentMethodKind => "entity::enums::PaymentMethodKind" {
    AccountBalance = "From the payer's account balance.",
    Gateway = "Through the payment gateway (a card token).",
});
mirror!(
/// One-time or recurring invoice.
InvoiceKind => "entity::enums::InvoiceKind" {
    OneTime = "For one-time tariffs of an order.",
    Recurring = "For monthly services: an order's first month, or a month of the billing run.",
});
mirror!(
/// Whether an invoice is settled.
InvoiceStatus => "entity::enums::InvoiceStatus" {
    Unpaid = "Not settled (a prepaid balance did not cover it).",
    Paid = "Settled.",
});
mirror!(
/// Kind of a document.
DocumentKind => "entity::enums::DocumentKind" {
    Contract = "A contract uploaded by staff.",
    Invoice = "An invoice's PDF, rendered when it was issued.",
    Other = "Anything else staff uploaded.",
});
mirror!(
/// What a notification is about.
NotificationKind => "entity::enums::NotificationKind" {
    SubAccountOrderPlaced = "A sub-account placed an order for you to approve or reject.",
    OrderRejected = "Your order was rejected by your main account.",
    OrderPaid = "An order was paid.",
    ServiceRequestApproved = "Staff approved an ordered service, with its start date.",
    ServiceRequestRejected = "Staff rejected an ordered service; its amount was refunded.",
    TicketUpdated = "Support replied to a ticket or changed its status.",
    InvoiceIssued = "An invoice was issued.",
    ServicesOrdered = "Your main account ordered services for you.",
    OrderCancelled = "A waiting order was called off.",
    ServiceStatusChanged = "Staff disabled, enabled or ended one of your services.",
    OrderExpiring = "A sub-account's order waiting for you expires in a day.",
    OrderExpired = "An order waiting for the main account expired; nothing was charged.",
    BalanceTransferred = "Money was moved between your balance and another account's.",
});
mirror!(
/// Where a ticket's conversation stands.
TicketStatus => "entity::enums::TicketStatus" {
    New = "Opened, nobody answered yet.",
    InProgress = "Staff are working on it.",
    WaitingOnCustomer = "Staff replied; waiting for the customer.",
    WaitingOnAgent = "The customer replied; waiting for staff.",
    Resolved = "Closed; a customer reply reopens it.",
});
mirror!(
/// How urgent a ticket is.
TicketPriority => "entity::enums::TicketPriority" {
    Low = "When there is time.",
    Medium = "The default.",
    High = "Affects the service.",
    Urgent = "The service is down.",
});
