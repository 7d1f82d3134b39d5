//! Orders, their items and service requests, invoices, documents and notifications; the
//! ordering mutations, the admin's service-request decisions and `markNotificationsRead`.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use entity::{document, invoice, invoice_line, notification, order, order_item, service_request};

use super::{
    account::Account,
    catalog::Tariff,
    connection::{Connection, page_request, wants_total},
    enums::{
        DocumentKind, InvoiceKind, InvoiceStatus, NotificationKind, OrderStatus, PaymentMethodKind,
        ServiceRequestStatus,
    },
    ids::{self, Kind},
    loaders::gql,
    payload::{UserError, payload, split},
    scalars::{Date, Decimal},
    service::{Service, authorized_service, visible_account},
};
use crate::{
    auth::Viewer,
    db::page::{Page, PageRequest, Sort},
    domain::{
        self,
        order::{NewItem, Outcome, PaymentChoice},
    },
    error::{AppError, AppResult, ResultExt},
    policy::{self, Action, Target},
};

/// An order: a cart for one account.
#[derive(Clone)]
pub struct Order(pub order::Model);
/// A paid order line waiting for (or given) an admin's decision.
#[derive(Clone)]
pub struct ServiceRequest(pub service_request::Model);
/// An invoice issued to a payer.
#[derive(Clone)]
pub struct Invoice(pub invoice::Model);
/// A document of an account (contract, invoice PDF, ...).
#[derive(Clone)]
pub struct Document(pub document::Model);
/// A portal notification.
#[derive(Clone)]
pub struct Notification(pub notification::Model);

crate::connection_names!(
    Order => "OrderConnection", "OrderEdge";
    ServiceRequest => "ServiceRequestConnection", "ServiceRequestEdge";
    Invoice => "InvoiceConnection", "InvoiceEdge";
    Document => "DocumentConnection", "DocumentEdge";
    Notification => "NotificationConnection", "NotificationEdge";
);

/// Whether the viewer may see this order (via its account, as payer, or as placer).
pub async fn order_visible(ctx: &Context<'_>, found: &order::Model) -> async_graphql::Result<()> {
    let viewer = super::viewer(ctx)?;
    let account = super::service::load_account(ctx, found.account_id).await?;
    policy::authorize_reached(viewer, Action::ViewOrders, Target::Order(found, &account))
        .map_err(|e| {
            if matches!(e, AppError::Forbidden) {
                AppError::NotFound
            } else {
                e
            }
        })
        .gql()
}

/// Whether the viewer may see an invoice: its payer's billing.
pub async fn invoice_visible(
    ctx: &Context<'_>,
    found: &invoice::Model,
) -> async_graphql::Result<()> {
    let viewer = super::viewer(ctx)?;
    let payer = visible_account(ctx, found.account_id).await?;
    policy::authorize(viewer, Action::ViewBilling, Target::Account(&payer.0)).gql()
}

/// Whether the viewer may see a document: its account's documents.
pub async fn document_visible(
    ctx: &Context<'_>,
    found: &document::Model,
) -> async_graphql::Result<()> {
    let viewer = super::viewer(ctx)?;
    let owner = visible_account(ctx, found.account_id).await?;
    policy::authorize(viewer, Action::ViewDocuments, Target::Account(&owner.0)).gql()
}

async fn load_order(ctx: &Context<'_>, id: i64) -> async_graphql::Result<order::Model> {
    super::loaders(ctx)?
        .order
        .load_one(id)
        .await
        .map_err(gql)?
        .ok_or(AppError::NotFound)
        .gql()
}

#[Object]
impl Order {
    /// Global ID.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Order, self.0.id)
    }

    /// Human-readable order number, e.g. `ORD-2026-000042`.
    async fn number(&self) -> &str {
        &self.0.number
    }

    /// The account the order is for.
    async fn account(&self, ctx: &Context<'_>) -> async_graphql::Result<Account> {
        visible_account(ctx, self.0.account_id).await
    }

    /// Who placed it (the account itself, or its main account).
    async fn placed_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Account> {
        visible_account(ctx, self.0.placed_by_id).await
    }

    /// Where the order stands.
    async fn status(&self) -> OrderStatus {
        self.0.status.into()
    }

    /// The lines, with prices as they were when ordered.
    async fn items(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<OrderItem>> {
        let items = super::loaders(ctx)?
            .order_items
            .load_one(self.0.id)
            .await
            .map_err(gql)?
            .unwrap_or_default();
        Ok(items.into_iter().map(OrderItem).collect())
    }

    /// Sum of the lines before tax.
    async fn subtotal(&self) -> Decimal {
        Decimal::from_minor(self.0.subtotal_minor)
    }

    /// Tax, computed per line.
    async fn tax(&self) -> Decimal {
        Decimal::from_minor(self.0.tax_minor)
    }

    /// What is (or was) paid.
    async fn total(&self) -> Decimal {
        Decimal::from_minor(self.0.total_minor)
    }

    /// When it was placed.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it was paid.
    async fn paid_at(&self) -> Option<DateTime<Utc>> {
        self.0.paid_at
    }

    /// How it was (or was tried to be) paid.
    async fn payment_method(&self) -> Option<PaymentMethodKind> {
        self.0.payment_method.map(Into::into)
    }

    /// The invoice issued for the payment; null when the viewer is not the payer.
    async fn invoice(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Invoice>> {
        let Some(id) = self.0.invoice_id else {
            return Ok(None);
        };
        let Some(found) = super::loaders(ctx)?
            .invoice
            .load_one(id)
            .await
            .map_err(gql)?
        else {
            return Ok(None);
        };
        Ok(invoice_visible(ctx, &found)
            .await
            .ok()
            .map(|_| Invoice(found)))
    }

    /// Why the main account rejected it.
    async fn rejection_reason(&self) -> Option<&str> {
        self.0.rejection_reason.as_deref()
    }

    /// Why the last payment attempt failed.
    async fn failure_reason(&self) -> Option<&str> {
        self.0.failure_reason.as_deref()
    }
}

/// One line of an order.
pub struct OrderItem(pub order_item::Model);

#[Object]
impl OrderItem {
    /// The tariff ordered.
    async fn tariff(&self, ctx: &Context<'_>) -> async_graphql::Result<Tariff> {
        super::service::tariff(ctx, self.0.tariff_id).await
    }

    /// How many.
    async fn quantity(&self) -> i32 {
        self.0.quantity
    }

    /// Price of one, before tax, as ordered.
    async fn unit_price(&self) -> Decimal {
        Decimal::from_minor(self.0.unit_price_minor)
    }

    /// Tax rate in percent, as ordered.
    async fn tax_percent(&self) -> Decimal {
        Decimal::from_minor(self.0.tax_percent_minor)
    }

    /// Tax of the line.
    async fn tax(&self) -> Decimal {
        Decimal::from_minor(self.0.tax_minor)
    }

    /// Line total, tax included.
    async fn total(&self) -> Decimal {
        Decimal::from_minor(self.0.total_minor)
    }

    /// The service requests the paid line opened (one per unit).
    async fn service_requests(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<ServiceRequest>> {
        let rows = super::loaders(ctx)?
            .item_requests
            .load_one(self.0.id)
            .await
            .map_err(gql)?
            .unwrap_or_default();
        Ok(rows.into_iter().map(ServiceRequest).collect())
    }
}

#[Object]
impl ServiceRequest {
    /// Global ID.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::ServiceRequest, self.0.id)
    }

    /// The order it belongs to.
    async fn order(&self, ctx: &Context<'_>) -> async_graphql::Result<Order> {
        let found = load_order(ctx, self.0.order_id).await?;
        order_visible(ctx, &found).await?;
        Ok(Order(found))
    }

    /// The account the service is for.
    async fn account(&self, ctx: &Context<'_>) -> async_graphql::Result<Account> {
        visible_account(ctx, self.0.account_id).await
    }

    /// The tariff requested.
    async fn tariff(&self, ctx: &Context<'_>) -> async_graphql::Result<Tariff> {
        super::service::tariff(ctx, self.0.tariff_id).await
    }

    /// Pending, approved or rejected.
    async fn status(&self) -> ServiceRequestStatus {
        self.0.status.into()
    }

    /// The start date the admin set.
    async fn start_date(&self) -> Option<Date> {
        self.0.start_date.map(Date)
    }

    /// What was paid for it (refunded on rejection).
    async fn amount(&self) -> Decimal {
        Decimal::from_minor(self.0.amount_minor)
    }

    /// The service created on approval.
    async fn service(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Service>> {
        let Some(id) = self.0.service_id else {
            return Ok(None);
        };
        let found = domain::service::find(super::db(ctx)?, id).await.gql()?;
        Ok(Some(authorized_service(ctx, found).await?))
    }

    /// Why the admin rejected it.
    async fn rejection_reason(&self) -> Option<&str> {
        self.0.rejection_reason.as_deref()
    }
}

#[Object]
impl Invoice {
    /// Global ID.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Invoice, self.0.id)
    }

    /// Invoice number, gapless per year, e.g. `INV-2026-000001`.
    async fn number(&self) -> &str {
        &self.0.number
    }

    /// The payer.
    async fn account(&self, ctx: &Context<'_>) -> async_graphql::Result<Account> {
        visible_account(ctx, self.0.account_id).await
    }

    /// One-time or recurring.
    async fn kind(&self) -> InvoiceKind {
        self.0.kind.into()
    }

    /// Paid or unpaid.
    async fn status(&self) -> InvoiceStatus {
        self.0.status.into()
    }

    /// Sum of the lines before tax.
    async fn subtotal(&self) -> Decimal {
        Decimal::from_minor(self.0.subtotal_minor)
    }

    /// Sum of the lines' tax.
    async fn tax(&self) -> Decimal {
        Decimal::from_minor(self.0.tax_minor)
    }

    /// Sum of the lines, tax included (to the cent).
    async fn total(&self) -> Decimal {
        Decimal::from_minor(self.0.total_minor)
    }

    /// When it was issued.
    async fn issued_at(&self) -> DateTime<Utc> {
        self.0.issued_at
    }

    /// First day of the billed month, for invoices of a billing run (null for orders').
    async fn period_start(&self) -> Option<Date> {
        self.0.period_start.map(Date)
    }

    /// The lines.
    async fn lines(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<InvoiceLine>> {
        let rows = super::loaders(ctx)?
            .invoice_lines
            .load_one(self.0.id)
            .await
            .map_err(gql)?
            .unwrap_or_default();
        Ok(rows.into_iter().map(InvoiceLine).collect())
    }

    /// The invoice's PDF.
    async fn document(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Document>> {
        let Some(id) = self.0.document_id else {
            return Ok(None);
        };
        Ok(super::loaders(ctx)?
            .document
            .load_one(id)
            .await
            .map_err(gql)?
            .map(Document))
    }
}

/// One line of an invoice.
pub struct InvoiceLine(pub invoice_line::Model);

#[Object]
impl InvoiceLine {
    /// What is billed.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// The sub-account whose service the line bills, when not the payer's own.
    async fn sub_account(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Account>> {
        let Some(id) = self.0.sub_account_id else {
            return Ok(None);
        };
        Ok(visible_account(ctx, id).await.ok())
    }

    /// How many.
    async fn quantity(&self) -> i32 {
        self.0.quantity
    }

    /// The service the line bills, when the viewer may see it.
    async fn service(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Service>> {
        let Some(id) = self.0.service_id else {
            return Ok(None);
        };
        let Some(found) = super::loaders(ctx)?
            .service
            .load_one(id)
            .await
            .map_err(gql)?
        else {
            return Ok(None);
        };
        Ok(authorized_service(ctx, found).await.ok())
    }

    /// Price of one, before tax.
    async fn unit_price(&self) -> Decimal {
        Decimal::from_minor(self.0.unit_price_minor)
    }

    /// Amount before tax: quantity × unit price, or for recurring lines the monthly price
    /// prorated to the days billed (price × days ÷ days in the month, to the cent).
    async fn net(&self) -> Decimal {
        Decimal::from_minor(self.0.net_minor)
    }

    /// Tax rate in percent.
    async fn tax_percent(&self) -> Decimal {
        Decimal::from_minor(self.0.tax_percent_minor)
    }

    /// Tax of the line.
    async fn tax(&self) -> Decimal {
        Decimal::from_minor(self.0.tax_minor)
    }

    /// Line total, tax included.
    async fn total(&self) -> Decimal {
        Decimal::from_minor(self.0.total_minor)
    }

    /// First day billed (recurring lines).
    async fn period_from(&self) -> Option<Date> {
        self.0.period_from.map(Date)
    }

    /// Last day billed (recurring lines).
    async fn period_to(&self) -> Option<Date> {
        self.0.period_to.map(Date)
    }
}

#[Object]
impl Document {
    /// Global ID.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Document, self.0.id)
    }

    /// The account it belongs to.
    async fn account(&self, ctx: &Context<'_>) -> async_graphql::Result<Account> {
        visible_account(ctx, self.0.account_id).await
    }

    /// Contract, invoice or other.
    async fn kind(&self) -> DocumentKind {
        self.0.kind.into()
    }

    /// Title shown in lists.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// MIME type, e.g. `application/pdf`.
    async fn content_type(&self) -> &str {
        &self.0.content_type
    }

    /// Size in bytes.
    async fn size_bytes(&self) -> i64 {
        self.0.size_bytes
    }

    /// When it was added.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// A link valid for 10 minutes that opens the file (`&download=1` to save it).
    async fn download_url(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        let state = super::state(ctx)?;
        domain::document::signed_path(&state.link_key, self.0.id, Utc::now()).gql()
    }
}

#[Object]
impl Notification {
    /// Global ID.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Notification, self.0.id)
    }

    /// What it is about.
    async fn kind(&self) -> NotificationKind {
        self.0.kind.into()
    }

    /// Text for the portal.
    async fn message(&self) -> &str {
        &self.0.message
    }

    /// The order it is about.
    async fn order(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Order>> {
        let Some(id) = self.0.order_id else {
            return Ok(None);
        };
        let found = load_order(ctx, id).await?;
        Ok(order_visible(ctx, &found).await.ok().map(|_| Order(found)))
    }

    /// The ticket it is about.
    async fn ticket(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<super::ticket::Ticket>> {
        let Some(id) = self.0.ticket_id else {
            return Ok(None);
        };
        let Some(found) = super::loaders(ctx)?
            .ticket
            .load_one(id)
            .await
            .map_err(gql)?
        else {
            return Ok(None);
        };
        Ok(super::ticket::ticket_visible(ctx, &found)
            .await
            .ok()
            .map(|_| super::ticket::Ticket(found)))
    }

    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it was marked read.
    async fn read_at(&self) -> Option<DateTime<Utc>> {
        self.0.read_at
    }
}

/// How to pay.
#[derive(InputObject)]
pub struct PaymentMethodInput {
    /// From the payer's balance, or through the payment gateway.
    pub kind: PaymentMethodKind,
    /// The gateway's payment token (`GATEWAY` only).
    pub gateway_token: Option<String>,
}

impl From<PaymentMethodInput> for PaymentChoice {
    fn from(p: PaymentMethodInput) -> Self {
        match p.kind {
            PaymentMethodKind::AccountBalance => PaymentChoice::Balance,
            PaymentMethodKind::Gateway => PaymentChoice::Gateway(p.gateway_token),
        }
    }
}

/// One line to order.
#[derive(InputObject)]
pub struct OrderItemInput {
    /// The tariff.
    pub tariff_id: ID,
    /// How many (1..100).
    #[graphql(default_with = "Some(1)")]
    pub quantity: Option<i32>,
}

/// Place an order for one account.
#[derive(InputObject)]
pub struct PlaceOrderInput {
    /// The account the order is for: your own, or an aggregated sub-account you manage.
    pub account_id: ID,
    /// 1..100 lines.
    pub items: Vec<OrderItemInput>,
    /// How to pay; omitted when an aggregated sub-account asks its main account.
    pub payment_method: Option<PaymentMethodInput>,
    /// Makes retries safe: the same key returns the first result and charges nothing.
    pub idempotency_key: Option<String>,
}

/// Approve a sub-account's order by paying it.
#[derive(InputObject)]
pub struct ApproveOrderInput {
    /// The order.
    pub order_id: ID,
    /// How to pay.
    pub payment_method: PaymentMethodInput,
    /// Makes retries safe.
    pub idempotency_key: Option<String>,
}

/// Reject a sub-account's order.
#[derive(InputObject)]
pub struct RejectOrderInput {
    /// The order.
    pub order_id: ID,
    /// Why (shown to the sub-account).
    pub reason: String,
}

/// Approve a service request with its start date.
#[derive(InputObject)]
pub struct ApproveServiceRequestInput {
    /// The request.
    pub service_request_id: ID,
    /// The first day of service (charged from it).
    pub start_date: Date,
}

/// Reject a service request; the line is refunded to the payer's balance.
#[derive(InputObject)]
pub struct RejectServiceRequestInput {
    /// The request.
    pub service_request_id: ID,
    /// Why.
    pub reason: String,
}

/// Upload a document (admins). Send it as a GraphQL multipart request.
#[derive(InputObject)]
pub struct UploadDocumentInput {
    /// The account it belongs to.
    pub account_id: ID,
    /// Contract, invoice or other.
    pub kind: DocumentKind,
    /// Title shown in lists (1..200 characters).
    pub title: String,
    /// The PDF (checked by content; at most 20 MiB).
    pub file: async_graphql::Upload,
}

payload!(
    /// Result of `uploadDocument`.
    DocumentPayload { document: Document });

/// Mark notifications read.
#[derive(InputObject)]
pub struct MarkNotificationsReadInput {
    /// These notifications (others' ids are ignored).
    pub ids: Option<Vec<ID>>,
    /// All of the viewer's notifications.
    #[graphql(default_with = "Some(false)")]
    pub all: Option<bool>,
}

/// Result of an order mutation: the order (also when its payment failed) and why not.
#[derive(SimpleObject)]
pub struct OrderPayload {
    /// The order; with a failed payment it is returned with its `failureReason`.
    pub order: Option<Order>,
    /// Why the mutation did not succeed; nothing was charged.
    pub user_errors: Vec<UserError>,
}

impl OrderPayload {
    fn from_outcome(result: AppResult<Outcome>) -> async_graphql::Result<Self> {
        let (outcome, mut user_errors) = split(result)?;
        let order = outcome.map(|o| {
            if let Some(refusal) = o.refusal {
                user_errors.push(refusal.into());
            }
            Order(o.order)
        });
        Ok(Self { order, user_errors })
    }
}

payload!(
    /// Result of an admin decision on a service request.
    ServiceRequestPayload { service_request: ServiceRequest });

/// Result of `markNotificationsRead`.
#[derive(SimpleObject)]
pub struct MarkNotificationsReadPayload {
    /// Unread notifications left.
    pub unread_notification_count: i64,
    /// Why nothing was changed.
    pub user_errors: Vec<UserError>,
}

/// Ordering mutations.
#[derive(Default)]
pub struct OrderMutation;

#[Object]
impl OrderMutation {
    /// Order services for one account: your own, or (with management on) an aggregated sub-account.
    async fn place_order(
        &self,
        ctx: &Context<'_>,
        input: PlaceOrderInput,
    ) -> async_graphql::Result<OrderPayload> {
        let state = super::state(ctx)?;
        let viewer = super::viewer(ctx)?;
        let account_id = ids::decode(Kind::Account, &input.account_id).gql()?;
        if input.items.len() > 100 {
            return Err(AppError::BadUserInput("at most 100 items".into())).gql();
        }
        let mut items = Vec::with_capacity(input.items.len());
        for item in input.items {
            let tariff_id = ids::decode(Kind::Tariff, &item.tariff_id).map_err(|_| {
                AppError::user(crate::error::UserError::invalid("items", "no such tariff"))
            });
            match tariff_id {
                Ok(tariff_id) => items.push(NewItem {
                    tariff_id,
                    quantity: item.quantity.unwrap_or(1),
                }),
                Err(e) => return OrderPayload::from_outcome(Err(e)),
            }
        }
        let payment = input.payment_method.map(Into::into);
        let result = domain::order::place(
            &state.db,
            state.gateway.as_ref(),
            viewer,
            account_id,
            &items,
            payment,
            input.idempotency_key,
        )
        .await;
        OrderPayload::from_outcome(result)
    }

    /// Approve a sub-account's order by paying it (main accounts with management on).
    async fn approve_order(
        &self,
        ctx: &Context<'_>,
        input: ApproveOrderInput,
    ) -> async_graphql::Result<OrderPayload> {
        let state = super::state(ctx)?;
        let viewer = super::viewer(ctx)?;
        let order_id = ids::decode(Kind::Order, &input.order_id).gql()?;
        let result = domain::order::approve(
            &state.db,
            state.gateway.as_ref(),
            viewer,
            order_id,
            input.payment_method.into(),
            input.idempotency_key,
        )
        .await;
        OrderPayload::from_outcome(result)
    }

    /// Reject a sub-account's order, with a reason.
    async fn reject_order(
        &self,
        ctx: &Context<'_>,
        input: RejectOrderInput,
    ) -> async_graphql::Result<OrderPayload> {
        let viewer = super::viewer(ctx)?;
        let order_id = ids::decode(Kind::Order, &input.order_id).gql()?;
        let result = domain::order::reject(super::db(ctx)?, viewer, order_id, &input.reason).await;
        OrderPayload::from_outcome(result.map(|order| Outcome {
            order,
            refusal: None,
        }))
    }

    /// Approve a service request with a start date (admins).
    async fn approve_service_request(
        &self,
        ctx: &Context<'_>,
        input: ApproveServiceRequestInput,
    ) -> async_graphql::Result<ServiceRequestPayload> {
        let viewer = super::viewer(ctx)?;
        policy::require_admin(viewer).gql()?;
        let id = ids::decode(Kind::ServiceRequest, &input.service_request_id).gql()?;
        let result =
            domain::order::approve_request(super::db(ctx)?, viewer, id, input.start_date.0).await;
        ServiceRequestPayload::from_result(result.map(ServiceRequest))
    }

    /// Reject a service request and refund the line to the payer (admins).
    async fn reject_service_request(
        &self,
        ctx: &Context<'_>,
        input: RejectServiceRequestInput,
    ) -> async_graphql::Result<ServiceRequestPayload> {
        let viewer = super::viewer(ctx)?;
        policy::require_admin(viewer).gql()?;
        let id = ids::decode(Kind::ServiceRequest, &input.service_request_id).gql()?;
        let result =
            domain::order::reject_request(super::db(ctx)?, viewer, id, &input.reason).await;
        ServiceRequestPayload::from_result(result.map(ServiceRequest))
    }

    /// Upload a PDF document for an account (admins; GraphQL multipart request).
    async fn upload_document(
        &self,
        ctx: &Context<'_>,
        input: UploadDocumentInput,
    ) -> async_graphql::Result<DocumentPayload> {
        let viewer = super::viewer(ctx)?;
        policy::require_admin(viewer).gql()?;
        let account_id = ids::decode(Kind::Account, &input.account_id).gql()?;
        let file = input
            .file
            .value(ctx)
            .map_err(|e| AppError::Internal(e.into()))
            .gql()?;
        let result = domain::document::upload(
            super::db(ctx)?,
            viewer,
            account_id,
            input.kind.into(),
            &input.title,
            file.content.to_vec(),
        )
        .await;
        DocumentPayload::from_result(result.map(Document))
    }

    /// Mark some or all of the viewer's notifications read.
    async fn mark_notifications_read(
        &self,
        ctx: &Context<'_>,
        input: MarkNotificationsReadInput,
    ) -> async_graphql::Result<MarkNotificationsReadPayload> {
        let viewer = super::viewer(ctx)?;
        let Some(me) = viewer.account() else {
            return Err(AppError::Forbidden).gql();
        };
        let ids_in = input.ids.unwrap_or_default();
        if ids_in.len() > 100 {
            return Err(AppError::BadUserInput("at most 100 ids".into())).gql();
        }
        let ids = ids_in
            .iter()
            .map(|id| ids::decode(Kind::Notification, id))
            .collect::<Result<Vec<i64>, _>>()
            .gql()?;
        let db = super::db(ctx)?;
        domain::notification::mark_read(db, me.id, &ids, input.all.unwrap_or(false))
            .await
            .gql()?;
        let unread = domain::notification::count(db, me.id, true).await.gql()?;
        Ok(MarkNotificationsReadPayload {
            unread_notification_count: unread,
            user_errors: Vec::new(),
        })
    }
}

/// The admin's queue of service requests.
#[derive(Default)]
pub struct OrderQuery;

#[Object]
impl OrderQuery {
    /// Service requests, newest first, optionally by status (admins).
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, None, child_complexity)")]
    async fn service_requests(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this status.")] status: Option<ServiceRequestStatus>,
        #[graphql(desc = "Page size (1..100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<ServiceRequest>> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        policy::require_admin(super::viewer(ctx)?).gql()?;
        let req = page_request(first, after, None, None).gql()?;
        let mut q = service_request::Entity::find();
        if let Some(s) = status {
            q = q.filter(
                service_request::Column::Status.eq(entity::enums::ServiceRequestStatus::from(s)),
            );
        }
        let db = super::db(ctx)?;
        let total = if wants_total(ctx) {
            crate::db::page::count(db, q.clone()).await.gql()?
        } else {
            0
        };
        let sort = Sort::by_id((service_request::Entity, service_request::Column::Id), true);
        let page = crate::db::page::fetch(db, q, &sort, &req, |_| None)
            .await
            .gql()?;
        Ok(Connection::new(page.map(ServiceRequest), total))
    }
}

/// The viewer's notifications (a resolver of `Viewer`).
pub async fn notifications(
    ctx: &Context<'_>,
    viewer: &Viewer,
    unread_only: bool,
    req: PageRequest,
) -> async_graphql::Result<Connection<Notification>> {
    let Some(me) = viewer.account() else {
        return Ok(Connection::new(Page::empty(), 0));
    };
    let db = super::db(ctx)?;
    let total = if wants_total(ctx) {
        domain::notification::count(db, me.id, unread_only)
            .await
            .gql()?
    } else {
        0
    };
    let page = domain::notification::list(db, me.id, unread_only, &req)
        .await
        .gql()?;
    Ok(Connection::new(page.map(Notification), total))
}

/// A nested list of an account: orders, invoices or documents, through its loader.
pub async fn account_page<N: super::connection::ConnectionNode, E>(
    loader: &super::loaders::Cached<super::loaders::PagesOf<E>>,
    key: super::loaders::PageKey,
    wrap: fn(E::Model) -> N,
) -> async_graphql::Result<Connection<N>>
where
    E: sea_orm::EntityTrait + Send + Sync + 'static,
    E::Model: Clone + Send + Sync + 'static,
    E::Column: Send + Sync,
{
    let (page, total) = loader
        .load_one(key)
        .await
        .map_err(gql)?
        .unwrap_or_else(|| (Page::empty(), 0));
    Ok(Connection::new(page.map(wrap), total))
}
