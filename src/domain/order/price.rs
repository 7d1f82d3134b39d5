//! Pricing an order: the tariffs' current prices, tax per unit to the cent, totals.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, EntityTrait, QueryFilter};

use entity::tariff;

use super::NewItem;
use crate::{
    domain::validate::Checks,
    error::{AppError, AppResult, UserError},
    money::Money,
};

const MAX_ITEMS: usize = super::super::validate::MAX_LIST;
const MAX_QUANTITY: i32 = 100;

/// One line priced as an order would price it now.
pub struct PricedLine {
    pub tariff: tariff::Model,
    pub quantity: i32,
    pub unit_price: Money,
    pub unit_tax: Money,
}

impl PricedLine {
    pub fn net(&self) -> Option<Money> {
        self.unit_price.checked_mul_int(self.quantity.into())
    }

    pub fn tax(&self) -> Option<Money> {
        self.unit_tax.checked_mul_int(self.quantity.into())
    }

    /// The line's total, tax included.
    pub fn total(&self) -> Option<Money> {
        self.net()?.checked_add(self.tax()?)
    }
}

pub(super) fn out_of_range() -> AppError {
    AppError::user(UserError::invalid(
        "items",
        "the order total is out of range",
    ))
}

/// Prices the items at the tariffs' current prices; tax is computed per unit, to the cent.
pub(super) async fn price<C: ConnectionTrait>(
    db: &C,
    items: &[NewItem],
) -> AppResult<Vec<PricedLine>> {
    let mut checks = Checks::default();
    checks.require(
        !items.is_empty() && items.len() <= MAX_ITEMS,
        "items",
        format!("an order has 1 to {MAX_ITEMS} items"),
    );
    checks.require(
        items
            .iter()
            .all(|i| (1..=MAX_QUANTITY).contains(&i.quantity)),
        "items",
        format!("quantities are 1 to {MAX_QUANTITY}"),
    );
    checks.finish()?;
    let ids: Vec<i64> = items.iter().map(|i| i.tariff_id).collect();
    let tariffs: HashMap<i64, tariff::Model> = tariff::Entity::find()
        .filter(crate::db::among::column_among(tariff::Column::Id, ids))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    items
        .iter()
        .map(|item| {
            let tariff = tariffs
                .get(&item.tariff_id)
                .cloned()
                .ok_or_else(|| AppError::user(UserError::invalid("items", "no such tariff")))?;
            let unit_price = Money::from_minor(tariff.price_minor);
            let unit_tax = unit_price
                .percent(Money::from_minor(tariff.tax_percent_minor))
                .ok_or_else(out_of_range)?;
            Ok(PricedLine {
                tariff,
                quantity: item.quantity,
                unit_price,
                unit_tax,
            })
        })
        .collect()
}

/// An order's sums.
pub struct Totals {
    pub subtotal: Money,
    pub tax: Money,
    pub total: Money,
}

pub(super) fn totals(lines: &[PricedLine]) -> AppResult<Totals> {
    let mut subtotal = Money::ZERO;
    let mut tax = Money::ZERO;
    for l in lines {
        subtotal = subtotal
            .checked_add(l.net().ok_or_else(out_of_range)?)
            .ok_or_else(out_of_range)?;
        tax = tax
            .checked_add(l.tax().ok_or_else(out_of_range)?)
            .ok_or_else(out_of_range)?;
    }
    Ok(Totals {
        subtotal,
        tax,
        total: subtotal.checked_add(tax).ok_or_else(out_of_range)?,
    })
}

/// What an order would cost if it were placed now (the cart's total before paying).
pub struct Quote {
    pub lines: Vec<QuoteLine>,
    pub totals: Totals,
}

/// One line of a quote, its tax and total worked out (and checked) once.
pub struct QuoteLine {
    pub priced: PricedLine,
    pub tax: Money,
    pub total: Money,
}

/// Prices a cart for an account exactly as placing the order would, writing nothing. The
/// viewer needs `order` on the account, as for placing it.
pub async fn quote<C: ConnectionTrait>(
    db: &C,
    viewer: &crate::auth::Viewer,
    account_id: i64,
    items: &[NewItem],
) -> AppResult<Quote> {
    use crate::policy::{self, Action, Target};
    let target = crate::domain::account::find_visible(db, viewer, account_id).await?;
    policy::authorize(viewer, Action::Order, Target::Account(&target))?;
    let lines = price(db, items).await?;
    let totals = totals(&lines)?;
    let lines = lines
        .into_iter()
        .map(|priced| {
            Ok(QuoteLine {
                tax: priced.tax().ok_or_else(out_of_range)?,
                total: priced.total().ok_or_else(out_of_range)?,
                priced,
            })
        })
        .collect::<AppResult<_>>()?;
    Ok(Quote { lines, totals })
}
