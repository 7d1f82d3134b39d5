use super::*;
use sea_orm::ColumnTrait;

#[tokio::test]
async fn every_scope_selects_exactly_what_its_rule_lets_each_viewer_see() {
    let app = TestApp::spawn().await;
    let db = &app.state.db;
    let w = world(&app, db).await;
    let wanted: Wanted = w
        .orders
        .iter()
        .map(|o| domain::record::Ref::Order(o.id))
        .chain(
            w.invoices
                .iter()
                .map(|i| domain::record::Ref::Invoice(i.id)),
        )
        .chain(w.tickets.iter().map(|t| domain::record::Ref::Ticket(t.id)))
        .chain(
            w.services
                .iter()
                .map(|s| domain::record::Ref::Service(s.id)),
        )
        .chain(
            w.accounts
                .iter()
                .map(|a| domain::record::Ref::Account(a.id)),
        )
        .collect();
    let rows = Rows::load(db, &wanted).await.expect("rows");
    let mut failures = Vec::new();
    let mut seen_any = 0;
    for (who, viewer) in viewers(&w) {
        let reader = Reader::new(&viewer, &rows);
        let mut check = |table: &str, sql: BTreeSet<i64>, rust: BTreeSet<i64>| {
            seen_any += rust.len();
            if sql != rust {
                failures.push(format!(
                    "{who}: {table}: SQL only {:?}, Rust only {:?}",
                    sql.difference(&rust).collect::<Vec<_>>(),
                    rust.difference(&sql).collect::<Vec<_>>()
                ));
            }
        };
        macro_rules! compare {
            ($table:expr, $entity:ident, $rows:expr, $scope:expr, $rule:expr) => {
                check(
                    $table,
                    ids_in::<$entity::Entity>(
                        db,
                        $entity::Column::Id,
                        $scope,
                        $rows.iter().map(|r| r.id),
                    )
                    .await,
                    $rows.iter().filter(|r| $rule(*r)).map(|r| r.id).collect(),
                )
            };
        }
        // A table seen with its owner: its scope on the rows, and the same scope decided on
        // the owner's row (as a list read with its account decides it), each the rule.
        macro_rules! compare_owned {
            ($table:literal, $entity:ident, $rows:expr, $owned:expr, $rule:expr) => {{
                let rule = $rule;
                compare!($table, $entity, $rows, ($owned.rows())(&viewer), rule);
                compare!(
                    concat!($table, " (on the owner's row)"),
                    $entity,
                    $rows,
                    on_owner_row::<$entity::Entity>($owned, &viewer, $entity::Column::AccountId),
                    rule
                );
            }};
        }
        compare!(
            "accounts",
            account,
            w.accounts,
            scope::accounts(&viewer),
            |a: &account::Model| sees(&viewer, Target::Account(a))
        );
        // Each main's sub-accounts, as the sub-accounts pages read them: the scope stated
        // for the rows under one main is the accounts rule on those rows.
        for main in &w.accounts {
            let under = || account::Column::MainAccountId.eq(main.id);
            check(
                "sub-accounts of a main",
                ids_in::<account::Entity>(
                    db,
                    account::Column::Id,
                    Condition::all()
                        .add(scope::sub_accounts_of(&viewer, main.id))
                        .add(under()),
                    w.accounts.iter().map(|a| a.id),
                )
                .await,
                w.accounts
                    .iter()
                    .filter(|a| a.main_account_id == Some(main.id))
                    .filter(|a| sees(&viewer, Target::Account(a)))
                    .map(|a| a.id)
                    .collect(),
            );
        }
        compare_owned!(
            "services",
            service,
            w.services,
            scope::Owned::Services,
            |s: &service::Model| sees(&viewer, Target::Service(s, w.owner(s.account_id)))
        );
        compare_owned!(
            "documents",
            document,
            w.documents,
            scope::Owned::Documents,
            |d: &document::Model| sees(&viewer, Target::Document(d, w.owner(d.account_id)))
        );
        compare_owned!(
            "invoices",
            invoice,
            w.invoices,
            scope::Owned::Invoices,
            |i: &invoice::Model| sees(&viewer, Target::Invoice(i, w.owner(i.account_id)))
        );
        compare_owned!(
            "tickets",
            ticket,
            w.tickets,
            scope::Owned::Tickets,
            |t: &ticket::Model| sees(&viewer, Target::Ticket(t, w.owner(t.account_id)))
        );
        compare!(
            "ticket messages",
            ticket_message,
            w.messages,
            scope::ticket_messages(&viewer),
            |m: &ticket_message::Model| {
                let t = w
                    .tickets
                    .iter()
                    .find(|t| t.id == m.ticket_id)
                    .expect("ticket");
                sees(&viewer, Target::Ticket(t, w.owner(t.account_id)))
            }
        );
        compare!(
            "orders",
            order,
            w.orders,
            scope::orders(&viewer),
            |o: &order::Model| sees(&viewer, Target::Order(o, w.owner(o.account_id)))
        );
        compare_owned!(
            "internet sessions",
            internet_session,
            w.sessions,
            scope::Owned::InternetSessions,
            |s: &internet_session::Model| sees(
                &viewer,
                Target::InternetSessionOf(w.owner(s.account_id))
            )
        );
        compare_owned!(
            "voice calls",
            voice_call,
            w.calls,
            scope::Owned::VoiceCalls,
            |c: &voice_call::Model| sees(&viewer, Target::VoiceCallOf(w.owner(c.account_id)))
        );
        compare!(
            "activity",
            activity,
            w.activity,
            scope::activity(&viewer),
            |e: &activity::Model| sees(&viewer, Target::ActivityOf(w.owner(e.account_id)))
                && domain::activity::record_of(e).about.seen_by(&reader)
        );
        compare!(
            "notifications",
            notification,
            w.notifications,
            scope::notifications(&viewer),
            |n: &notification::Model| sees(&viewer, Target::Notification(n))
                && domain::notification::record_of(n).about.seen_by(&reader)
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(seen_any > 0, "the world has rows someone sees");
}

/// `owned`'s scope for `viewer` decided on each row's owner's row (`owner`, as `o__`).
fn on_owner_row<E: EntityTrait>(
    owned: scope::Owned,
    viewer: &portal_api::auth::Viewer,
    owner: E::Column,
) -> Condition {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
    let row = Alias::new("o__");
    Condition::all().add(Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from_as(account::Entity, row.clone())
            .and_where(Expr::col((row, account::Column::Id)).equals((E::default(), owner)))
            .cond_where(owned.on_owner(viewer, "o__"))
            .to_owned(),
    ))
}
