//! `node(id:)` in a plan: the object by its global id, if the viewer may see it; an account
//! is read with the lists of it the plan selects, as the resolvers read it
//! ([`Under::Account`]); a ticket with its messages, an order with its items and its
//! invoice with the invoice's lines.

use std::sync::Arc;

use async_graphql::{ID, InputType};
use async_graphql_value::Value;

use super::{
    catalog::{Kind, Link, Scalar, Ty},
    compile::Sel,
    load::{Fallback, Loaded, Obj, Run},
};
use crate::{
    graphql::{
        ids::{self, Kind as IdKind},
        loaders::Under,
        ticket::messages_of,
    },
    policy::{self, Action, Target},
};

impl Run<'_> {
    /// `node(id:)`: the object, if the viewer may see it (the resolvers answer anything else,
    /// with the error their direct path gives).
    pub(super) async fn node(&self, id: &Value, sels: &[(Ty, Sel)]) -> Result<Loaded, Fallback> {
        let id: ID = ID::parse(Some(self.resolve(id))).map_err(|_| Fallback)?;
        let (kind, pk) = ids::decode_any(&id).map_err(|_| Fallback)?;
        let l = self.loaders;
        let owner = |id: i64| async move { l.account.load_one(id).await?.ok_or(Fallback) };
        let (ty, obj) = match kind {
            IdKind::Account => {
                // Read with the lists it selects, where it can (as the resolvers do).
                let sel = sels.iter().find(|(ty, _)| *ty == Ty::Account);
                let lists = sel.map(|(_, sel)| self.lists(sel)).transpose()?;
                if let Some(lists) = lists.filter(|lists| !lists.is_empty()) {
                    self.folding(&lists, Under::Account(pk)).await?;
                }
                let row = l.account.load_one(pk).await?.ok_or(Fallback)?;
                // An account the viewer does not hold (a former sub-account, frozen) or may not
                // open: the resolvers.
                if let Some(me) = self.viewer.account()
                    && row.id != me.id
                    && row.main_account_id != Some(me.id)
                {
                    return Err(Fallback);
                }
                self.see(Target::Account(&row))?;
                (Ty::Account, Obj::Account(Arc::new(row)))
            }
            IdKind::Service => {
                let row = l.service.load_one(pk).await?.ok_or(Fallback)?;
                self.see(Target::Service(&row, &owner(row.account_id).await?))?;
                (Ty::Service, Obj::Service(Arc::new(row)))
            }
            IdKind::Tariff => {
                let row = l.tariff.load_one(pk).await?.ok_or(Fallback)?;
                self.see(Target::Tariff(&row))?;
                (Ty::Tariff, Obj::Tariff(Arc::new(row)))
            }
            IdKind::Ticket => {
                self.with_messages(sels, pk).await?;
                let row = l.ticket.load_one(pk).await?.ok_or(Fallback)?;
                self.see(Target::Ticket(&row, &owner(row.account_id).await?))?;
                (Ty::Ticket, Obj::Ticket(Arc::new(row)))
            }
            IdKind::TicketMessage => {
                let row = l.ticket_message.load_one(pk).await?.ok_or(Fallback)?;
                let ticket = l.ticket.load_one(row.ticket_id).await?.ok_or(Fallback)?;
                self.see(Target::Ticket(&ticket, &owner(ticket.account_id).await?))?;
                (Ty::Message, Obj::Message(Arc::new(row)))
            }
            IdKind::Document => {
                let row = l.document.load_one(pk).await?.ok_or(Fallback)?;
                self.see(Target::Document(&row, &owner(row.account_id).await?))?;
                (Ty::Document, Obj::Document(Arc::new(row)))
            }
            IdKind::Order => {
                let items = |kind: &Kind| matches!(kind, Kind::Many(Link::Items, _));
                if self.selected(sels, Ty::Order, items)?.is_some() {
                    l.order_with_items(pk).await?;
                }
                let row = l.order.load_one(pk).await?.ok_or(Fallback)?;
                self.see(Target::Order(&row, &owner(row.account_id).await?))?;
                // Its invoice with the invoice's lines, when it selects them.
                let lines = |kind: &Kind| match kind {
                    Kind::One(Link::Invoice, sel) => sel
                        .fields
                        .iter()
                        .any(|f| matches!(f.kind, Kind::Many(Link::Lines, _))),
                    _ => false,
                };
                if let Some(invoice) = row.invoice_id
                    && self.selected(sels, Ty::Order, lines)?.is_some()
                {
                    l.invoice_with_lines(invoice).await?;
                }
                (Ty::Order, Obj::Order(Arc::new(row)))
            }
            _ => return Err(Fallback),
        };
        let sel = sels.iter().position(|(t, _)| *t == ty).ok_or(Fallback)?;
        let level = self.level(&sels[sel].1, vec![obj]).await?;
        Ok(Loaded::Node { sel, level })
    }

    /// Reads the ticket `id` with the messages its selection selects in one statement, where
    /// it can (as the resolvers do: [`crate::graphql::ticket::by_id_with_messages`]).
    async fn with_messages(&self, sels: &[(Ty, Sel)], id: i64) -> Result<(), Fallback> {
        let messages = |kind: &Kind| matches!(kind, Kind::One(Link::Messages(_), _));
        let Some(Kind::One(Link::Messages(args), conn)) =
            self.selected(sels, Ty::Ticket, messages)?
        else {
            return Ok(());
        };
        let key = messages_of(&|name| self.given(args, name)).ok_or(Fallback)?(id)
            .map_err(|_| Fallback)?;
        let counted = self.asks(conn, &[Scalar::TotalCount])?;
        self.loaders
            .ticket_with_messages(key.counted(counted))
            .await?;
        Ok(())
    }

    /// The first field of the selection of `ty` among `sels` of a kind `wanted` says,
    /// included for this request.
    fn selected<'s>(
        &self,
        sels: &'s [(Ty, Sel)],
        ty: Ty,
        wanted: impl Fn(&Kind) -> bool,
    ) -> Result<Option<&'s Kind>, Fallback> {
        let Some((_, sel)) = sels.iter().find(|(t, _)| *t == ty) else {
            return Ok(None);
        };
        for field in sel.fields.iter().filter(|field| wanted(&field.kind)) {
            if self.included(&field.when)? {
                return Ok(Some(&field.kind));
            }
        }
        Ok(None)
    }

    pub(super) fn see(&self, target: Target<'_>) -> Result<(), Fallback> {
        policy::authorize(self.viewer, Action::See, target).map_err(|_| Fallback)
    }
}
