//! Enumerations stored as text columns (SCREAMING_SNAKE values, the same words the GraphQL
//! contract uses), shared by every table that needs them.

use sea_orm::entity::prelude::*;

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $value:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, serde::Serialize, serde::Deserialize)]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
        pub enum $name {
            $(#[sea_orm(string_value = $value)] $variant,)+
        }

        impl $name {
            /// The value as stored in the database and spelled in GraphQL.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $value,)+ }
            }
        }
    };
}

text_enum!(
    /// Lifecycle state of a customer account.
    AccountStatus { New = "NEW", Active = "ACTIVE", Blocked = "BLOCKED", Inactive = "INACTIVE" }
);
text_enum!(
    /// How an account pays: invoiced monthly, or from a prepaid balance.
    BillingMode { Recurring = "RECURRING", Prepaid = "PREPAID" }
);
text_enum!(
    /// Aggregated sub-accounts are paid for by their main account; independent ones pay themselves.
    SubAccountType { Aggregated = "AGGREGATED", Independent = "INDEPENDENT" }
);
text_enum!(
    /// Lifecycle state of a subscribed service.
    ServiceStatus { Pending = "PENDING", Active = "ACTIVE", Paused = "PAUSED", Disabled = "DISABLED", Archived = "ARCHIVED" }
);
text_enum!(
    /// Why a service is not billed for a while: paused (by the customer or its main account)
    /// or disabled (by staff).
    PauseKind { Pause = "PAUSE", Disable = "DISABLE" }
);
text_enum!(
    /// What a tariff provides.
    TariffKind { Internet = "INTERNET", Voice = "VOICE", Custom = "CUSTOM" }
);
text_enum!(
    /// How often a tariff is charged.
    BillingPeriod { Monthly = "MONTHLY", OneTime = "ONE_TIME" }
);
text_enum!(
    /// Kind of a stored document.
    DocumentKind { Contract = "CONTRACT", Invoice = "INVOICE", Other = "OTHER" }
);
text_enum!(
    /// Where a ticket's conversation stands.
    TicketStatus { New = "NEW", InProgress = "IN_PROGRESS", WaitingOnCustomer = "WAITING_ON_CUSTOMER", WaitingOnAgent = "WAITING_ON_AGENT", Resolved = "RESOLVED" }
);
text_enum!(
    /// Urgency of a ticket.
    TicketPriority { Low = "LOW", Medium = "MEDIUM", High = "HIGH", Urgent = "URGENT" }
);
text_enum!(
    /// Lifecycle of an order.
    OrderStatus { AwaitingMainApproval = "AWAITING_MAIN_APPROVAL", RejectedByMain = "REJECTED_BY_MAIN", PaymentFailed = "PAYMENT_FAILED", Paid = "PAID", Approved = "APPROVED", Rejected = "REJECTED", Cancelled = "CANCELLED", Expired = "EXPIRED" }
);
text_enum!(
    /// Admin decision on a paid order line.
    ServiceRequestStatus { Pending = "PENDING", Approved = "APPROVED", Rejected = "REJECTED" }
);
text_enum!(
    /// How a service's tariff is changed.
    ChangeMode { SelfChange = "SELF_CHANGE", Request = "REQUEST" }
);
text_enum!(
    /// Lifecycle of a tariff change.
    ChangeRequestStatus { Pending = "PENDING", Approved = "APPROVED", Rejected = "REJECTED", Applied = "APPLIED" }
);
text_enum!(
    /// How a payment is made.
    PaymentMethodKind { AccountBalance = "ACCOUNT_BALANCE", Gateway = "GATEWAY" }
);
text_enum!(
    /// Outcome of a payment attempt.
    PaymentStatus { Succeeded = "SUCCEEDED", Failed = "FAILED" }
);
text_enum!(
    /// One-time (order of one-time tariffs) or recurring (monthly services) invoice.
    InvoiceKind { OneTime = "ONE_TIME", Recurring = "RECURRING" }
);
text_enum!(
    /// Whether an invoice has been settled.
    InvoiceStatus { Unpaid = "UNPAID", Paid = "PAID" }
);
text_enum!(
    /// What a portal notification is about.
    NotificationKind { SubAccountOrderPlaced = "SUB_ACCOUNT_ORDER_PLACED", OrderRejected = "ORDER_REJECTED", OrderPaid = "ORDER_PAID", ServiceRequestApproved = "SERVICE_REQUEST_APPROVED", ServiceRequestRejected = "SERVICE_REQUEST_REJECTED", TicketUpdated = "TICKET_UPDATED", InvoiceIssued = "INVOICE_ISSUED", ServicesOrdered = "SERVICES_ORDERED", OrderCancelled = "ORDER_CANCELLED", ServiceStatusChanged = "SERVICE_STATUS_CHANGED", OrderExpiring = "ORDER_EXPIRING", OrderExpired = "ORDER_EXPIRED", BalanceTransferred = "BALANCE_TRANSFERRED" }
);
text_enum!(
    /// Who acted, as derived records keep it: a staff user, an account holder, or the server
    /// itself (scheduled jobs, the command line).
    ActorKind { Staff = "STAFF", Account = "ACCOUNT", System = "SYSTEM" }
);
text_enum!(
    /// What an email template is used for.
    EmailTemplateKind { ServiceOrder = "SERVICE_ORDER" }
);
text_enum!(
    /// Delivery state of an outgoing email.
    OutboxStatus { Pending = "PENDING", Sent = "SENT", Failed = "FAILED" }
);
