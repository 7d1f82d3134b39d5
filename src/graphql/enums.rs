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
