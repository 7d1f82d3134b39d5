//! What a viewer wants to do: the actions the policy (`crate::policy`) decides, named as
//! clients see them. A leaf: the error type names a refused action without knowing the
//! policy.

/// What a viewer wants to do. The first group is SPEC.md's capability table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// See it at all (an account: in a list, with name, status, address, services count,
    /// billing mode and cost).
    See,
    /// Open an account's details: services list, activity, contact data.
    ViewDetails,
    /// Order new services for an account.
    Order,
    PauseServices,
    ChangeServices,
    ViewInternetUsage,
    ViewVoiceUsage,
    ViewDocuments,
    ManageTickets,
    /// Approve (by paying) or reject orders the account placed.
    ManageOrders,
    /// See an account's orders.
    ViewOrders,
    /// See an account's balance.
    ViewBalance,
    /// See an account's invoices and payments.
    ViewBilling,
    /// Hide a ticket of the account from its main account.
    HideTicketFromMain,
    /// Set an aggregated sub-account's monthly cap and auto-approval threshold.
    SetSpendingControls,
    /// Move money from the viewer's balance to an independent sub-account's.
    TransferBalance,
    /// Staff-only operations (accounts, links, switches, tariffs, approvals).
    Administer,
}

impl Action {
    /// The name clients see (`Account.capabilities`, `extensions.action` of a refusal).
    pub fn name(self) -> &'static str {
        match self {
            Action::See => "see",
            Action::ViewDetails => "viewDetails",
            Action::Order => "order",
            Action::PauseServices => "pauseServices",
            Action::ChangeServices => "changeServices",
            Action::ViewInternetUsage => "viewInternetUsage",
            Action::ViewVoiceUsage => "viewVoiceUsage",
            Action::ViewDocuments => "viewDocuments",
            Action::ManageTickets => "manageTickets",
            Action::ManageOrders => "manageOrders",
            Action::ViewOrders => "viewOrders",
            Action::ViewBalance => "viewBalance",
            Action::ViewBilling => "viewBilling",
            Action::HideTicketFromMain => "hideTicketsFromMain",
            Action::SetSpendingControls => "setSpendingControls",
            Action::TransferBalance => "transferBalance",
            Action::Administer => "administer",
        }
    }
}
