//! Writing a plan's answer: each object's fields in the selection's order, straight into the
//! response's JSON text, each value converted by the scalar or enum type its resolver
//! returns (so the text is the resolvers' own). A field whose guard the policy refuses is
//! null with the guard's error at its path, as async-graphql answers it.

use async_graphql::{InputType, PathSegment, ServerError, resolver_utils::EnumType};
use chrono::{DateTime, Utc};

use super::{
    catalog::{Kind, Scalar},
    compile::{Field, Sel},
    load::{Fallback, Level, Loaded, Obj, Slot, decide},
};
use crate::{
    auth::Viewer,
    domain::language::Language,
    error::AppError,
    graphql::{
        connection::encode_cursor,
        enums,
        ids::{self, Kind as IdKind},
        scalars::Date,
    },
    policy::{self, Target},
};

/// The columns of an account's row [`Writer::scalar`] reads to write `scalar` (`None`: not
/// a value of an account's or its address's row). Kept in step with it by the differential
/// tests (`tests/api/plans.rs`): a column left out is written blank, unlike the resolvers.
pub(super) fn account_columns(scalar: Scalar) -> Option<&'static [&'static str]> {
    use Scalar as S;
    Some(match scalar {
        S::AccountId => &["id"],
        S::Login => &["login"],
        S::FullName => &["full_name"],
        S::Email => &["email"],
        S::AccountStatus => &["status"],
        S::BillingMode => &["billing_mode"],
        S::Balance => &["balance_minor", "currency"],
        S::Currency => &["currency"],
        S::SubAccountType => &["sub_account_type"],
        S::LinkedAt => &["linked_at"],
        S::SubAccountManagement => &["sub_account_management"],
        S::ActiveServicesCount | S::TotalServiceCost => &["id"],
        S::Street => &["street"],
        S::City => &["city"],
        S::ZipCode => &["zip_code"],
        S::Country => &["country"],
        S::Capability(_) => &[],
        _ => return None,
    })
}

/// A JSON string, as serde_json writes it: most of an answer's strings (its keys, IDs,
/// names, enum values) need no escape and are copied in one piece.
fn json_string(out: &mut Vec<u8>, s: &str) {
    if s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        // Writing a string into a Vec cannot fail.
        let _ = serde_json::to_writer(out, s);
        return;
    }
    out.reserve(s.len() + 2);
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

/// A step of the path being written: a field's response key or a list's index, made into
/// async-graphql's segments only for an error's path.
#[derive(Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// Writes one answer.
pub(super) struct Writer<'a> {
    pub out: Vec<u8>,
    pub errors: Vec<ServerError>,
    path: Vec<Step<'a>>,
    viewer: &'a Viewer,
    /// The language the caller reads the server's sentences in (a message's author).
    language: Language,
    link_key: &'a [u8],
    now: DateTime<Utc>,
}

impl<'a> Writer<'a> {
    /// A writer whose answer has room for `room` bytes (at least 4 KiB) before it grows.
    pub fn new(viewer: &'a Viewer, language: Language, link_key: &'a [u8], room: usize) -> Self {
        Self {
            out: Vec::with_capacity(room.max(4096)),
            errors: Vec::new(),
            path: Vec::new(),
            viewer,
            language,
            link_key,
            now: Utc::now(),
        }
    }

    /// The object `i` of `level`, as `sel` selects it.
    pub fn object(&mut self, sel: &'a Sel, level: &Level, i: usize) -> Result<(), Fallback> {
        self.out.push(b'{');
        let mut first = true;
        for (field, loaded) in sel.fields.iter().zip(&level.fields) {
            if matches!(loaded, Loaded::Excluded) {
                continue;
            }
            if !first {
                self.out.push(b',');
            }
            first = false;
            self.string(field.key.as_str());
            self.out.push(b':');
            self.path.push(Step::Key(field.key.as_str()));
            self.field(field, loaded, level, i)?;
            self.path.pop();
        }
        self.out.push(b'}');
        Ok(())
    }

    fn field(
        &mut self,
        field: &'a Field,
        loaded: &Loaded,
        level: &Level,
        i: usize,
    ) -> Result<(), Fallback> {
        let obj = level.objs.get(i).ok_or(Fallback)?;
        match (&field.kind, loaded) {
            (Kind::Typename(name), _) => self.string(name),
            (Kind::Value(scalar), _) => {
                if let Some(action) = field.guard
                    && let Err(e) = decide(self.viewer, action, obj)?
                {
                    self.refused(&e, field);
                    return Ok(());
                }
                self.scalar(*scalar, obj, level)?;
            }
            (Kind::One(_, sel) | Kind::Many(_, sel), Loaded::Links { slots, level }) => {
                match slots.get(i).ok_or(Fallback)? {
                    Slot::Null => self.raw("null"),
                    Slot::Denied(e) => self.refused(e, field),
                    Slot::One(j) => self.object(sel, level, *j)?,
                    Slot::Many(range) => {
                        self.out.push(b'[');
                        for (n, j) in range.clone().enumerate() {
                            if n > 0 {
                                self.out.push(b',');
                            }
                            self.path.push(Step::Index(n));
                            self.object(sel, level, j)?;
                            self.path.pop();
                        }
                        self.out.push(b']');
                    }
                }
            }
            (Kind::Node(_, sels), Loaded::Node { sel, level }) => {
                self.object(&sels.get(*sel).ok_or(Fallback)?.1, level, 0)?;
            }
            _ => return Err(Fallback),
        }
        Ok(())
    }

    /// Null, and the guard's error at this path.
    fn refused(&mut self, e: &AppError, field: &Field) {
        use async_graphql::ErrorExtensions;
        self.raw("null");
        let mut error = e.extend().into_server_error(field.pos);
        error.path = self
            .path
            .iter()
            .map(|step| match *step {
                Step::Key(key) => PathSegment::Field(key.to_string()),
                Step::Index(n) => PathSegment::Index(n),
            })
            .collect();
        self.errors.push(error);
    }

    fn raw(&mut self, s: &str) {
        self.out.extend_from_slice(s.as_bytes());
    }

    fn string(&mut self, s: &str) {
        json_string(&mut self.out, s);
    }

    fn opt_string(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.string(s),
            None => self.raw("null"),
        }
    }

    fn int(&mut self, n: i64) {
        let _ = serde_json::to_writer(&mut self.out, &n);
    }

    fn bool(&mut self, b: bool) {
        self.raw(if b { "true" } else { "false" });
    }

    /// A value as its GraphQL type writes it (enums, `Decimal`, `Date`).
    fn typed<T: InputType>(&mut self, value: T) {
        let _ = serde_json::to_writer(&mut self.out, &value.to_value());
    }

    /// An enum's value by the name its type lists for it (as async-graphql's `enum_value`
    /// finds it), written without a GraphQL value between.
    fn name<T: EnumType + InputType>(&mut self, value: T) {
        match T::items().iter().find(|item| item.value == value) {
            Some(item) => self.string(item.name),
            None => self.typed(value),
        }
    }

    fn opt_name<T: EnumType + InputType>(&mut self, value: Option<T>) {
        match value {
            Some(v) => self.name(v),
            None => self.raw("null"),
        }
    }

    fn opt_typed<T: InputType>(&mut self, value: Option<T>) {
        match value {
            Some(v) => self.typed(v),
            None => self.raw("null"),
        }
    }

    fn time(&mut self, at: DateTime<Utc>) {
        // async-graphql's `DateTime<Utc>`: no escape in it.
        self.out.push(b'"');
        super::text::rfc3339(&mut self.out, at);
        self.out.push(b'"');
    }

    fn opt_time(&mut self, at: Option<DateTime<Utc>>) {
        match at {
            Some(at) => self.time(at),
            None => self.raw("null"),
        }
    }

    /// A value whose text needs no escape (a `Decimal`, a `Date`), as its scalar sends it.
    fn text(&mut self, value: impl std::fmt::Display) {
        use std::io::Write;
        self.out.push(b'"');
        // Writing into a Vec cannot fail.
        let _ = write!(self.out, "{value}");
        self.out.push(b'"');
    }

    fn date(&mut self, date: Option<chrono::NaiveDate>) {
        match date {
            Some(d) => self.text(Date(d)),
            None => self.raw("null"),
        }
    }

    fn money(&mut self, minor: i64) {
        // `Decimal`'s text, written from the minor units (`Money`'s `Display`).
        self.text(crate::money::Money::from_minor(minor));
    }

    fn id(&mut self, kind: IdKind, pk: i64) {
        // base64url needs no escaping in JSON.
        self.out.push(b'"');
        self.raw(ids::text(kind, pk).as_str());
        self.out.push(b'"');
    }

    fn cursor(&mut self, cursor: Option<&crate::db::page::Cursor>) {
        match cursor {
            Some(c) => self.string(&encode_cursor(c)),
            None => self.raw("null"),
        }
    }

    fn scalar(&mut self, scalar: Scalar, obj: &Obj, level: &Level) -> Result<(), Fallback> {
        use Scalar as S;
        match (scalar, obj) {
            (S::Role, Obj::Viewer) => self.name(match self.viewer {
                Viewer::Admin(_) => enums::Role::Admin,
                _ => enums::Role::Customer,
            }),
            (S::AccountId, Obj::Account(a)) => self.id(IdKind::Account, a.id),
            (S::Login, Obj::Account(a)) => self.string(&a.login),
            (S::FullName, Obj::Account(a)) => self.string(&a.full_name),
            (S::Email, Obj::Account(a)) => self.opt_string(a.email.as_deref()),
            (S::AccountStatus, Obj::Account(a)) => self.name(enums::AccountStatus::from(a.status)),
            (S::BillingMode, Obj::Account(a)) => {
                self.name(enums::BillingMode::from(a.billing_mode))
            }
            (S::Balance, Obj::Account(a)) => self.money(a.balance_minor),
            (S::Currency, Obj::Account(a)) => self.string(&a.currency),
            (S::SubAccountType, Obj::Account(a)) => {
                self.opt_name(a.sub_account_type.map(enums::SubAccountType::from))
            }
            (S::LinkedAt, Obj::Account(a)) => self.opt_time(a.linked_at),
            (S::SubAccountManagement, Obj::Account(a)) => self.bool(a.sub_account_management),
            (S::ActiveServicesCount, Obj::Account(a)) => {
                self.int(level.totals.get(&a.id).map_or(0, |t| t.active_count))
            }
            (S::TotalServiceCost, Obj::Account(a)) => {
                self.money(level.totals.get(&a.id).map_or(0, |t| t.cost_minor))
            }
            (S::Street, Obj::Address(a)) => self.string(&a.street),
            (S::City, Obj::Address(a)) => self.string(&a.city),
            (S::ZipCode, Obj::Address(a)) => self.string(&a.zip_code),
            (S::Country, Obj::Address(a)) => self.string(&a.country),
            (S::Capability(action), Obj::Capabilities(a)) => {
                self.bool(policy::authorize(self.viewer, action, Target::Account(a)).is_ok())
            }

            (S::ServiceId, Obj::Service(s)) => self.id(IdKind::Service, s.id),
            (S::Description, Obj::Service(s)) => self.string(&s.description),
            (S::ServiceStatus, Obj::Service(s)) => self.name(enums::ServiceStatus::from(s.status)),
            (S::ServicePrice, Obj::Service(s)) => self.money(s.price_minor),
            (S::StartDate, Obj::Service(s)) => self.date(s.start_date),
            (S::EndDate, Obj::Service(s)) => self.date(s.end_date),
            (S::PaidThrough, Obj::Service(s)) => self.date(s.paid_through),

            (S::TariffId, Obj::Tariff(t)) => self.id(IdKind::Tariff, t.id),
            (S::TariffName, Obj::Tariff(t)) => self.string(&t.name),
            (S::TariffKind, Obj::Tariff(t)) => self.name(enums::TariffKind::from(t.kind)),
            (S::Period, Obj::Tariff(t)) => self.name(enums::BillingPeriod::from(t.period)),
            (S::TariffPrice, Obj::Tariff(t)) => self.money(t.price_minor),
            (S::TaxPercent, Obj::Tariff(t)) => self.money(t.tax_percent_minor),
            (S::AllowsSelfChange, Obj::Tariff(t)) => self.bool(t.allows_self_change),
            (S::DownloadSpeed, Obj::Tariff(t)) => self.opt_typed(t.download_speed_kbps),
            (S::UploadSpeed, Obj::Tariff(t)) => self.opt_typed(t.upload_speed_kbps),

            (S::TicketId, Obj::Ticket(t)) => self.id(IdKind::Ticket, t.id),
            (S::Subject, Obj::Ticket(t)) => self.string(&t.subject),
            (S::TicketStatus, Obj::Ticket(t)) => self.name(enums::TicketStatus::from(t.status)),
            (S::Priority, Obj::Ticket(t)) => self.name(enums::TicketPriority::from(t.priority)),
            (S::HiddenFromMain, Obj::Ticket(t)) => self.bool(t.hidden_from_main),
            (S::Assigned, Obj::Ticket(t)) => self.bool(t.assignee_id.is_some()),
            (S::TicketCreatedAt, Obj::Ticket(t)) => self.time(t.created_at),
            (S::TicketUpdatedAt, Obj::Ticket(t)) => self.time(t.updated_at),

            (S::MessageId, Obj::Message(m)) => self.id(IdKind::TicketMessage, m.id),
            (S::AuthorName, Obj::Message(m)) => {
                let rows = level.rows.as_ref().ok_or(Fallback)?;
                let reader =
                    crate::domain::record::Reader::in_language(self.viewer, rows, self.language);
                self.string(&crate::domain::ticket::author_name(&reader, m));
            }
            (S::FromStaff, Obj::Message(m)) => self.bool(m.from_staff),
            (S::Body, Obj::Message(m)) => self.string(&m.body),
            (S::MessageCreatedAt, Obj::Message(m)) => self.time(m.created_at),

            (S::DocumentId, Obj::Document(d)) => self.id(IdKind::Document, d.id),
            (S::DocumentKind, Obj::Document(d)) => self.name(enums::DocumentKind::from(d.kind)),
            (S::Title, Obj::Document(d)) => self.string(&d.title),
            (S::ContentType, Obj::Document(d)) => self.string(&d.content_type),
            (S::SizeBytes, Obj::Document(d)) => self.int(d.size_bytes),
            (S::DocumentCreatedAt, Obj::Document(d)) => self.time(d.created_at),
            (S::DownloadUrl, Obj::Document(d)) => {
                let path = crate::domain::document::signed_path(self.link_key, d.id, self.now)
                    .map_err(|_| Fallback)?;
                self.string(&path);
            }

            (S::OrderId, Obj::Order(o)) => self.id(IdKind::Order, o.id),
            (S::Number, Obj::Order(o)) => self.string(&o.number),
            (S::OrderStatus, Obj::Order(o)) => self.name(enums::OrderStatus::from(o.status)),
            (S::ExpiresAt, Obj::Order(o)) => self.opt_time(o.expires_at),
            (S::Subtotal, Obj::Order(o)) => self.money(o.subtotal_minor),
            (S::Tax, Obj::Order(o)) => self.money(o.tax_minor),
            (S::Total, Obj::Order(o)) => self.money(o.total_minor),
            (S::OrderCreatedAt, Obj::Order(o)) => self.time(o.created_at),
            (S::PaidAt, Obj::Order(o)) => self.opt_time(o.paid_at),
            (S::PaymentMethod, Obj::Order(o)) => {
                self.opt_name(o.payment_method.map(enums::PaymentMethodKind::from))
            }
            (S::RejectionReason, Obj::Order(o)) => self.opt_string(o.rejection_reason.as_deref()),

            (S::Quantity, Obj::OrderItem(i)) => self.int(i64::from(i.quantity)),
            (S::UnitPrice, Obj::OrderItem(i)) => self.money(i.unit_price_minor),
            (S::ItemTaxPercent, Obj::OrderItem(i)) => self.money(i.tax_percent_minor),
            (S::ItemTax, Obj::OrderItem(i)) => self.money(i.tax_minor),
            (S::ItemTotal, Obj::OrderItem(i)) => self.money(i.total_minor),

            (S::InvoiceId, Obj::Invoice(i)) => self.id(IdKind::Invoice, i.id),
            (S::Number, Obj::Invoice(i)) => self.string(&i.number),
            (S::InvoiceKind, Obj::Invoice(i)) => self.name(enums::InvoiceKind::from(i.kind)),
            (S::InvoiceStatus, Obj::Invoice(i)) => self.name(enums::InvoiceStatus::from(i.status)),
            (S::Subtotal, Obj::Invoice(i)) => self.money(i.subtotal_minor),
            (S::Tax, Obj::Invoice(i)) => self.money(i.tax_minor),
            (S::Total, Obj::Invoice(i)) => self.money(i.total_minor),
            (S::IssuedAt, Obj::Invoice(i)) => self.time(i.issued_at),
            (S::PeriodStart, Obj::Invoice(i)) => self.date(i.period_start),

            (S::Description, Obj::InvoiceLine(l)) => self.string(&l.description),
            (S::Quantity, Obj::InvoiceLine(l)) => self.int(i64::from(l.quantity)),
            (S::UnitPrice, Obj::InvoiceLine(l)) => self.money(l.unit_price_minor),
            (S::Net, Obj::InvoiceLine(l)) => self.money(l.net_minor),
            (S::ItemTaxPercent, Obj::InvoiceLine(l)) => self.money(l.tax_percent_minor),
            (S::ItemTax, Obj::InvoiceLine(l)) => self.money(l.tax_minor),
            (S::ItemTotal, Obj::InvoiceLine(l)) => self.money(l.total_minor),
            (S::PeriodFrom, Obj::InvoiceLine(l)) => self.date(l.period_from),
            (S::PeriodTo, Obj::InvoiceLine(l)) => self.date(l.period_to),

            (S::TotalCount, Obj::Conn(c)) => self.int(c.total),
            (S::Cursor, Obj::Edge(c, i)) => self.cursor(c.items.get(*i).map(|(c, _)| c)),
            (S::HasPreviousPage, Obj::PageInfo(c)) => self.bool(c.has_previous),
            (S::HasNextPage, Obj::PageInfo(c)) => self.bool(c.has_next),
            (S::StartCursor, Obj::PageInfo(c)) => self.cursor(c.items.first().map(|(c, _)| c)),
            (S::EndCursor, Obj::PageInfo(c)) => self.cursor(c.items.last().map(|(c, _)| c)),
            _ => return Err(Fallback),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::json_string;

    #[test]
    fn a_string_is_written_as_serde_json_writes_it() {
        let cases = [
            "",
            "plain",
            "Tariff 100 Mbit/s",
            "quote \" inside",
            "back\\slash",
            "line\nbreak\ttab\r",
            "\u{0}\u{1f}\u{7f}",
            "ünïcödé € 日本 \u{2028}\u{2029} 🙂",
            "</script>",
        ];
        for case in cases {
            let mut out = Vec::new();
            json_string(&mut out, case);
            assert_eq!(
                String::from_utf8(out).expect("utf-8"),
                serde_json::to_string(case).expect("json"),
                "{case:?}"
            );
        }
    }
}
