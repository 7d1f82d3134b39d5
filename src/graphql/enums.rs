//! GraphQL enums, each mirroring the stored enum of the `entity` crate.

use async_graphql::Enum;

macro_rules! mirror {
    ($(#[$meta:meta])* $name:ident => $remote:literal { $($variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
        #[graphql(remote = $remote)]
        pub enum $name { $($variant),+ }
    };
}

mirror!(
    /// Lifecycle state of a customer account.
    AccountStatus => "entity::enums::AccountStatus" { New, Active, Blocked, Inactive });
mirror!(
    /// `RECURRING`: invoiced monthly; `PREPAID`: pays from its balance in advance.
    BillingMode => "entity::enums::BillingMode" { Recurring, Prepaid });
mirror!(
    /// `AGGREGATED`: its charges roll up to the main account; `INDEPENDENT`: billed on its own.
    SubAccountType => "entity::enums::SubAccountType" { Aggregated, Independent });
mirror!(
    /// Lifecycle state of a service.
    ServiceStatus => "entity::enums::ServiceStatus" { Pending, Active, Paused, Disabled, Archived });
mirror!(
    /// What a tariff provides.
    TariffKind => "entity::enums::TariffKind" { Internet, Voice, Custom });
mirror!(
    /// How often a tariff is charged.
    BillingPeriod => "entity::enums::BillingPeriod" { Monthly, OneTime });
mirror!(
    /// Lifecycle of a tariff change.
    ChangeRequestStatus => "entity::enums::ChangeRequestStatus" { Pending, Approved, Rejected, Applied });
mirror!(
    /// `SELF_CHANGE` switches at once; `REQUEST` waits for an admin.
    ChangeMode => "entity::enums::ChangeMode" { SelfChange, Request });
mirror!(
    /// What an email template is used for.
    EmailTemplateKind => "entity::enums::EmailTemplateKind" { ServiceOrder });

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
    OrderStatus => "entity::enums::OrderStatus" { AwaitingMainApproval, RejectedByMain, PaymentFailed, Paid, Approved, Rejected, Cancelled });
mirror!(
    /// Admin decision on a paid order line.
    ServiceRequestStatus => "entity::enums::ServiceRequestStatus" { Pending, Approved, Rejected });
mirror!(
    /// How a payment is made.
    PaymentMethodKind => "entity::enums::PaymentMethodKind" { AccountBalance, Gateway });
mirror!(
    /// One-time or recurring invoice.
    InvoiceKind => "entity::enums::InvoiceKind" { OneTime, Recurring });
mirror!(
    /// Whether an invoice is settled.
    InvoiceStatus => "entity::enums::InvoiceStatus" { Unpaid, Paid });
mirror!(
    /// Kind of a document.
    DocumentKind => "entity::enums::DocumentKind" { Contract, Invoice, Other });
mirror!(
    /// What a notification is about.
    NotificationKind => "entity::enums::NotificationKind" { SubAccountOrderPlaced, OrderRejected, OrderPaid, ServiceRequestApproved, ServiceRequestRejected, TicketUpdated, InvoiceIssued, ServicesOrdered, OrderCancelled, ServiceStatusChanged });
mirror!(
    /// Where a ticket's conversation stands.
    TicketStatus => "entity::enums::TicketStatus" { New, InProgress, WaitingOnCustomer, WaitingOnAgent, Resolved });
mirror!(
    /// How urgent a ticket is.
    TicketPriority => "entity::enums::TicketPriority" { Low, Medium, High, Urgent });
