//! What a plan knows: the object types it answers and their fields, each with the capability
//! its resolver's guard asks for (the same policy action; `tests/api/plans.rs` holds every
//! answer equal to the resolvers' for every viewer kind). Whatever is not here (mutations,
//! usage statistics, activity, invoice lists, links to other accounts) the resolvers answer.

use async_graphql::{Name, parser::types::SelectionSet};
use async_graphql_value::Value;

use super::compile::{Args, Compiler, Sel};
use crate::policy::Action;

/// The object types a plan answers.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Ty {
    Query,
    Viewer,
    Account,
    Address,
    Capabilities,
    Service,
    Tariff,
    Ticket,
    Message,
    Document,
    Order,
    OrderItem,
    Invoice,
    InvoiceLine,
    Conn(Item),
    Edge(Item),
    PageInfo,
}

/// The node types of the connections a plan answers.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Item {
    Account,
    Service,
    Ticket,
    Message,
    Document,
    Order,
}

impl Item {
    fn ty(self) -> Ty {
        match self {
            Item::Account => Ty::Account,
            Item::Service => Ty::Service,
            Item::Ticket => Ty::Ticket,
            Item::Message => Ty::Message,
            Item::Document => Ty::Document,
            Item::Order => Ty::Order,
        }
    }
}

/// The types `node(id:)` may answer with a plan.
pub(super) const NODE_TYPES: [Ty; 7] = [
    Ty::Account,
    Ty::Service,
    Ty::Tariff,
    Ty::Ticket,
    Ty::Message,
    Ty::Document,
    Ty::Order,
];

impl Ty {
    /// The GraphQL type name (`__typename`).
    pub fn name(self) -> &'static str {
        match self {
            Ty::Query => "Query",
            Ty::Viewer => "Viewer",
            Ty::Account => "Account",
            Ty::Address => "Address",
            Ty::Capabilities => "AccountCapabilities",
            Ty::Service => "Service",
            Ty::Tariff => "Tariff",
            Ty::Ticket => "Ticket",
            Ty::Message => "TicketMessage",
            Ty::Document => "Document",
            Ty::Order => "Order",
            Ty::OrderItem => "OrderItem",
            Ty::Invoice => "Invoice",
            Ty::InvoiceLine => "InvoiceLine",
            Ty::Conn(item) => match item {
                Item::Account => "AccountConnection",
                Item::Service => "ServiceConnection",
                Item::Ticket => "TicketConnection",
                Item::Message => "TicketMessageConnection",
                Item::Document => "DocumentConnection",
                Item::Order => "OrderConnection",
            },
            Ty::Edge(item) => match item {
                Item::Account => "AccountEdge",
                Item::Service => "ServiceEdge",
                Item::Ticket => "TicketEdge",
                Item::Message => "TicketMessageEdge",
                Item::Document => "DocumentEdge",
                Item::Order => "OrderEdge",
            },
            Ty::PageInfo => "PageInfo",
        }
    }

    /// Whether a fragment on `condition` (a type or the `Node` interface) applies.
    pub fn is(self, condition: &str) -> bool {
        condition == self.name()
            || (condition == "Node" && (NODE_TYPES.contains(&self) || self == Ty::Invoice))
    }
}

/// The lists of an account a page of sub-accounts may read in its own statement, each
/// with the capability the viewer needs on the account to read it (its resolver's guard).
const ACCOUNT_LISTS: [(&str, Action); 4] = [
    ("services", Action::ViewDetails),
    ("orders", Action::ViewOrders),
    ("tickets", Action::ManageTickets),
    ("documents", Action::ViewDocuments),
];

/// The capability the list `name` of an account needs (`None`: no such list).
pub fn list_guard(name: &str) -> Option<Action> {
    ACCOUNT_LISTS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, action)| *action)
}

/// What a field answers.
pub(super) enum Kind {
    Typename(&'static str),
    /// A value of the object itself.
    Value(Scalar),
    /// An object.
    One(Link, Box<Sel>),
    /// A list of objects.
    Many(Link, Box<Sel>),
    /// `node(id:)`: the object by its ID, with the selection of its type.
    Node(Value, Vec<(Ty, Sel)>),
}

/// How an object's field reaches other objects.
pub(super) enum Link {
    Viewer,
    OwnAccount,
    Address,
    Capabilities,
    Tariff,
    Items,
    Invoice,
    Lines,
    SubAccounts(Args),
    Services(Args),
    Tickets(Args),
    Documents(Args),
    Orders(Args),
    Messages(Args),
    Edges,
    Nodes,
    PageInfo,
    EdgeNode,
}

/// The values objects answer.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Scalar {
    Role,
    AccountId,
    Login,
    FullName,
    Email,
    AccountStatus,
    BillingMode,
    Balance,
    Currency,
    SubAccountType,
    LinkedAt,
    SubAccountManagement,
    ActiveServicesCount,
    TotalServiceCost,
    Street,
    City,
    ZipCode,
    Country,
    Capability(Action),
    ServiceId,
    Description,
    ServiceStatus,
    ServicePrice,
    StartDate,
    EndDate,
    PaidThrough,
    TariffId,
    TariffName,
    TariffKind,
    Period,
    TariffPrice,
    TaxPercent,
    AllowsSelfChange,
    DownloadSpeed,
    UploadSpeed,
    TicketId,
    Subject,
    TicketStatus,
    Priority,
    HiddenFromMain,
    Assigned,
    TicketCreatedAt,
    TicketUpdatedAt,
    MessageId,
    AuthorName,
    FromStaff,
    Body,
    MessageCreatedAt,
    DocumentId,
    DocumentKind,
    Title,
    ContentType,
    SizeBytes,
    DocumentCreatedAt,
    DownloadUrl,
    OrderId,
    Number,
    OrderStatus,
    ExpiresAt,
    Subtotal,
    Tax,
    Total,
    OrderCreatedAt,
    PaidAt,
    PaymentMethod,
    RejectionReason,
    Quantity,
    UnitPrice,
    ItemTaxPercent,
    ItemTax,
    ItemTotal,
    InvoiceId,
    InvoiceKind,
    InvoiceStatus,
    IssuedAt,
    PeriodStart,
    Net,
    PeriodFrom,
    PeriodTo,
    TotalCount,
    Cursor,
    HasPreviousPage,
    HasNextPage,
    StartCursor,
    EndCursor,
}

/// The capability flags of `AccountCapabilities`, by field name.
const CAPABILITIES: [(&str, Action); 15] = [
    ("viewDetails", Action::ViewDetails),
    ("order", Action::Order),
    ("pauseServices", Action::PauseServices),
    ("changeServices", Action::ChangeServices),
    ("viewInternetUsage", Action::ViewInternetUsage),
    ("viewVoiceUsage", Action::ViewVoiceUsage),
    ("viewDocuments", Action::ViewDocuments),
    ("manageTickets", Action::ManageTickets),
    ("manageOrders", Action::ManageOrders),
    ("viewOrders", Action::ViewOrders),
    ("viewBalance", Action::ViewBalance),
    ("viewBilling", Action::ViewBilling),
    ("hideTicketsFromMain", Action::HideTicketFromMain),
    ("setSpendingControls", Action::SetSpendingControls),
    ("transferBalance", Action::TransferBalance),
];

/// A page of a connection from the start or the end.
const PAGE: &[&str] = &["first", "after", "last", "before"];
/// A page of a connection from the start only.
const FORWARD: &[&str] = &["first", "after"];

/// The field `name` of type `ty` with `args` and sub-selection `set`; `None` when a plan
/// does not know it.
pub(super) fn field<'a>(
    c: &Compiler<'a>,
    ty: Ty,
    name: &Name,
    args: Args,
    set: &'a SelectionSet,
    depth: usize,
) -> Option<(Kind, Option<Action>)> {
    use Scalar as S;
    let leaf = set.items.is_empty() && args.is_empty();
    let value = |s: Scalar| leaf.then_some((Kind::Value(s), None));
    let guarded = |s: Scalar, action: Action| leaf.then_some((Kind::Value(s), Some(action)));
    let object = |link: Link, child: Ty| -> Option<(Kind, Option<Action>)> {
        let sel = c.sel(child, set, depth + 1)?;
        Some((Kind::One(link, Box::new(sel)), None))
    };
    let plain = |link: Link, child: Ty| args.is_empty().then(|| object(link, child))?;
    let list = |link: Link, child: Ty| -> Option<(Kind, Option<Action>)> {
        if !args.is_empty() {
            return None;
        }
        let sel = c.sel(child, set, depth + 1)?;
        Some((Kind::Many(link, Box::new(sel)), None))
    };
    // A connection field: its arguments among `allowed`.
    let connection = |make: fn(Args) -> Link,
                      item: Item,
                      allowed: &[&[&str]],
                      guard: Option<Action>|
     -> Option<(Kind, Option<Action>)> {
        let known = |n: &Name| allowed.iter().any(|names| names.contains(&n.as_str()));
        if !args.iter().all(|(n, _)| known(n)) {
            return None;
        }
        let sel = c.sel(Ty::Conn(item), set, depth + 1)?;
        Some((Kind::One(make(args.clone()), Box::new(sel)), guard))
    };
    if name.as_str() == "__typename" {
        return leaf.then_some((Kind::Typename(ty.name()), None));
    }
    match (ty, name.as_str()) {
        (Ty::Query, "viewer") => plain(Link::Viewer, Ty::Viewer),
        (Ty::Query, "node") => {
            let [(arg, id)] = args.as_slice() else {
                return None;
            };
            if arg.as_str() != "id" {
                return None;
            }
            let sels = NODE_TYPES
                .iter()
                .map(|t| c.sel(*t, set, depth + 1).map(|s| (*t, s)))
                .collect::<Option<Vec<_>>>()?;
            Some((Kind::Node(id.clone(), sels), None))
        }
        (Ty::Viewer, "role") => value(S::Role),
        (Ty::Viewer, "account") => plain(Link::OwnAccount, Ty::Account),

        (Ty::Account, "id") => value(S::AccountId),
        (Ty::Account, "login") => value(S::Login),
        (Ty::Account, "fullName") => value(S::FullName),
        (Ty::Account, "email") => guarded(S::Email, Action::ViewDetails),
        (Ty::Account, "status") => value(S::AccountStatus),
        (Ty::Account, "address") => plain(Link::Address, Ty::Address),
        (Ty::Account, "billingMode") => value(S::BillingMode),
        (Ty::Account, "balance") => guarded(S::Balance, Action::ViewBalance),
        (Ty::Account, "currency") => value(S::Currency),
        (Ty::Account, "subAccountType") => value(S::SubAccountType),
        (Ty::Account, "linkedAt") => value(S::LinkedAt),
        (Ty::Account, "subAccountManagement") => value(S::SubAccountManagement),
        (Ty::Account, "activeServicesCount") => value(S::ActiveServicesCount),
        (Ty::Account, "totalServiceCost") => value(S::TotalServiceCost),
        (Ty::Account, "capabilities") => plain(Link::Capabilities, Ty::Capabilities),
        (Ty::Account, "subAccounts") => connection(
            Link::SubAccounts,
            Item::Account,
            &[PAGE, &["filter", "orderBy"]],
            None,
        ),
        (Ty::Account, "services") => connection(
            Link::Services,
            Item::Service,
            &[PAGE, &["status"]],
            list_guard("services"),
        ),
        (Ty::Account, "orders") => connection(
            Link::Orders,
            Item::Order,
            &[FORWARD, &["status"]],
            list_guard("orders"),
        ),
        (Ty::Account, "tickets") => connection(
            Link::Tickets,
            Item::Ticket,
            &[FORWARD, &["status"]],
            list_guard("tickets"),
        ),
        (Ty::Account, "documents") => connection(
            Link::Documents,
            Item::Document,
            &[FORWARD, &["kind"]],
            list_guard("documents"),
        ),

        (Ty::Address, "street") => value(S::Street),
        (Ty::Address, "city") => value(S::City),
        (Ty::Address, "zipCode") => value(S::ZipCode),
        (Ty::Address, "country") => value(S::Country),
        (Ty::Capabilities, flag) => CAPABILITIES
            .iter()
            .find(|(n, _)| *n == flag)
            .and_then(|(_, action)| value(S::Capability(*action))),

        (Ty::Service, "id") => value(S::ServiceId),
        (Ty::Service, "tariff") => plain(Link::Tariff, Ty::Tariff),
        (Ty::Service, "description") => value(S::Description),
        (Ty::Service, "status") => value(S::ServiceStatus),
        (Ty::Service, "price") => value(S::ServicePrice),
        (Ty::Service, "startDate") => value(S::StartDate),
        (Ty::Service, "endDate") => value(S::EndDate),
        (Ty::Service, "paidThrough") => value(S::PaidThrough),

        (Ty::Tariff, "id") => value(S::TariffId),
        (Ty::Tariff, "name") => value(S::TariffName),
        (Ty::Tariff, "kind") => value(S::TariffKind),
        (Ty::Tariff, "period") => value(S::Period),
        (Ty::Tariff, "price") => value(S::TariffPrice),
        (Ty::Tariff, "taxPercent") => value(S::TaxPercent),
        (Ty::Tariff, "allowsSelfChange") => value(S::AllowsSelfChange),
        (Ty::Tariff, "downloadSpeedKbps") => value(S::DownloadSpeed),
        (Ty::Tariff, "uploadSpeedKbps") => value(S::UploadSpeed),

        (Ty::Ticket, "id") => value(S::TicketId),
        (Ty::Ticket, "subject") => value(S::Subject),
        (Ty::Ticket, "status") => value(S::TicketStatus),
        (Ty::Ticket, "priority") => value(S::Priority),
        (Ty::Ticket, "hiddenFromMain") => value(S::HiddenFromMain),
        (Ty::Ticket, "assigned") => value(S::Assigned),
        (Ty::Ticket, "createdAt") => value(S::TicketCreatedAt),
        (Ty::Ticket, "updatedAt") => value(S::TicketUpdatedAt),
        (Ty::Ticket, "messages") => connection(Link::Messages, Item::Message, &[FORWARD], None),

        (Ty::Message, "id") => value(S::MessageId),
        (Ty::Message, "authorName") => value(S::AuthorName),
        (Ty::Message, "fromStaff") => value(S::FromStaff),
        (Ty::Message, "body") => value(S::Body),
        (Ty::Message, "createdAt") => value(S::MessageCreatedAt),

        (Ty::Document, "id") => value(S::DocumentId),
        (Ty::Document, "kind") => value(S::DocumentKind),
        (Ty::Document, "title") => value(S::Title),
        (Ty::Document, "contentType") => value(S::ContentType),
        (Ty::Document, "sizeBytes") => value(S::SizeBytes),
        (Ty::Document, "createdAt") => value(S::DocumentCreatedAt),
        (Ty::Document, "downloadUrl") => value(S::DownloadUrl),

        (Ty::Order, "id") => value(S::OrderId),
        (Ty::Order, "number") => value(S::Number),
        (Ty::Order, "status") => value(S::OrderStatus),
        (Ty::Order, "expiresAt") => value(S::ExpiresAt),
        (Ty::Order, "items") => list(Link::Items, Ty::OrderItem),
        (Ty::Order, "subtotal") => value(S::Subtotal),
        (Ty::Order, "tax") => value(S::Tax),
        (Ty::Order, "total") => value(S::Total),
        (Ty::Order, "createdAt") => value(S::OrderCreatedAt),
        (Ty::Order, "paidAt") => value(S::PaidAt),
        (Ty::Order, "paymentMethod") => value(S::PaymentMethod),
        (Ty::Order, "rejectionReason") => value(S::RejectionReason),
        (Ty::Order, "invoice") => plain(Link::Invoice, Ty::Invoice),

        (Ty::OrderItem, "tariff") => plain(Link::Tariff, Ty::Tariff),
        (Ty::OrderItem, "quantity") => value(S::Quantity),
        (Ty::OrderItem, "unitPrice") => value(S::UnitPrice),
        (Ty::OrderItem, "taxPercent") => value(S::ItemTaxPercent),
        (Ty::OrderItem, "tax") => value(S::ItemTax),
        (Ty::OrderItem, "total") => value(S::ItemTotal),

        (Ty::Invoice, "id") => value(S::InvoiceId),
        (Ty::Invoice, "number") => value(S::Number),
        (Ty::Invoice, "kind") => value(S::InvoiceKind),
        (Ty::Invoice, "status") => value(S::InvoiceStatus),
        (Ty::Invoice, "subtotal") => value(S::Subtotal),
        (Ty::Invoice, "tax") => value(S::Tax),
        (Ty::Invoice, "total") => value(S::Total),
        (Ty::Invoice, "issuedAt") => value(S::IssuedAt),
        (Ty::Invoice, "periodStart") => value(S::PeriodStart),
        (Ty::Invoice, "lines") => list(Link::Lines, Ty::InvoiceLine),

        (Ty::InvoiceLine, "description") => value(S::Description),
        (Ty::InvoiceLine, "quantity") => value(S::Quantity),
        (Ty::InvoiceLine, "unitPrice") => value(S::UnitPrice),
        (Ty::InvoiceLine, "net") => value(S::Net),
        (Ty::InvoiceLine, "taxPercent") => value(S::ItemTaxPercent),
        (Ty::InvoiceLine, "tax") => value(S::ItemTax),
        (Ty::InvoiceLine, "total") => value(S::ItemTotal),
        (Ty::InvoiceLine, "periodFrom") => value(S::PeriodFrom),
        (Ty::InvoiceLine, "periodTo") => value(S::PeriodTo),

        (Ty::Conn(item), "edges") => list(Link::Edges, Ty::Edge(item)),
        (Ty::Conn(item), "nodes") => list(Link::Nodes, item.ty()),
        (Ty::Conn(_), "pageInfo") => plain(Link::PageInfo, Ty::PageInfo),
        (Ty::Conn(_), "totalCount") => value(S::TotalCount),
        (Ty::Edge(_), "cursor") => value(S::Cursor),
        (Ty::Edge(item), "node") => plain(Link::EdgeNode, item.ty()),
        (Ty::PageInfo, "hasPreviousPage") => value(S::HasPreviousPage),
        (Ty::PageInfo, "hasNextPage") => value(S::HasNextPage),
        (Ty::PageInfo, "startCursor") => value(S::StartCursor),
        (Ty::PageInfo, "endCursor") => value(S::EndCursor),
        _ => None,
    }
}
