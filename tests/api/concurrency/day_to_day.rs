//! The concurrency cases of the day-to-day mutations: service lifecycle, the staff's ticket
//! desk, templates, sessions and passwords.

use serde_json::{Value, json};

use super::{N, Shop, accepted, at_once, count, pk, service, ticket};
use crate::helpers::{PASSWORD, TestApp};

/// A fresh customer signed in `sessions` times; its id and the sessions' access tokens.
async fn signed_in(app: &TestApp, login: &str, sessions: usize) -> (String, Vec<String>) {
    let account = app
        .create_account(login, json!({ "status": "ACTIVE" }))
        .await;
    let mut tokens = Vec::new();
    for _ in 0..sessions {
        let out = app
            .ok(
                "mutation($l: String!, $p: String!) { login(input: {login: $l, password: $p}) { accessToken } }",
                json!({ "l": login, "p": PASSWORD }),
                None,
            )
            .await;
        tokens.push(
            out["login"]["accessToken"]
                .as_str()
                .expect("token")
                .to_string(),
        );
    }
    (account, tokens)
}

fn ended(bodies: &[Value], payload: &str) -> i64 {
    bodies
        .iter()
        .map(|b| b["data"][payload]["sessionsEnded"].as_i64().unwrap_or(0))
        .sum()
}

async fn live_sessions(app: &TestApp, account: &str) -> i64 {
    count(
        app,
        &format!(
            "SELECT COUNT(*) FROM refresh_tokens WHERE subject = 'account:{}' AND revoked_at IS NULL AND used_at IS NULL",
            pk(account)
        ),
    )
    .await
}

/// Runs the case of day-to-day mutation `m`.
pub(super) async fn case(app: &TestApp, m: &str, s: &Shop) {
    let admin = Some(app.admin());
    match m {
        "disableService" => {
            let svc = service(app, s).await;
            let bodies = at_once(app, admin, "mutation($s: ID!) { disableService(input: {serviceId: $s}) { service { status } userErrors { code } } }", |_| json!({ "s": svc })).await;
            assert_eq!(accepted(m, &bodies, m), 1);
            assert_eq!(
                count(app, &format!("SELECT COUNT(*) FROM service_pauses WHERE service_id = {} AND kind = 'DISABLE'", pk(&svc))).await,
                1,
                "one disable period"
            );
        }
        "enableService" => {
            let svc = service(app, s).await;
            app.ok(
                "mutation($s: ID!) { disableService(input: {serviceId: $s}) { userErrors { code } } }",
                json!({ "s": svc }),
                admin,
            )
            .await;
            let bodies = at_once(app, admin, "mutation($s: ID!) { enableService(input: {serviceId: $s}) { service { status } userErrors { code } } }", |_| json!({ "s": svc })).await;
            assert_eq!(accepted(m, &bodies, m), 1);
            assert_eq!(
                count(app, &format!("SELECT COUNT(*) FROM service_pauses WHERE service_id = {} AND resumed_on IS NULL", pk(&svc))).await,
                0,
                "the disable period is closed"
            );
        }
        "archiveService" => {
            let svc = service(app, s).await;
            let yesterday = (portal_api::domain::today() - chrono::Duration::days(1)).to_string();
            let bodies = at_once(app, admin, "mutation($s: ID!, $e: Date!) { archiveService(input: {serviceId: $s, endDate: $e}) { service { status } userErrors { code } } }", |_| json!({ "s": svc, "e": yesterday })).await;
            assert_eq!(accepted(m, &bodies, m), 1);
            assert_eq!(
                count(app, &format!("SELECT COUNT(*) FROM activity_log WHERE action = 'service.archived' AND service_id = {}", pk(&svc))).await,
                1
            );
        }
        "setTicketStatus" => {
            let t = ticket(app, s).await;
            let bodies = at_once(app, admin, "mutation($t: ID!) { setTicketStatus(input: {ticketId: $t, status: IN_PROGRESS}) { ticket { status } userErrors { code } } }", |_| json!({ "t": t })).await;
            assert_eq!(accepted(m, &bodies, m), 1, "one move from NEW");
            assert_eq!(
                count(app, &format!("SELECT COUNT(*) FROM activity_log WHERE action = 'ticket.status_set' AND ticket_id = {}", pk(&t))).await,
                1
            );
        }
        "assignTicket" => {
            let t = ticket(app, s).await;
            let staff =
                app.ok("{ staffUsers { id } }", json!({}), admin).await["staffUsers"][0]["id"]
                    .clone();
            let bodies = at_once(app, admin, "mutation($t: ID!, $a: ID) { assignTicket(input: {ticketId: $t, assigneeId: $a}) { ticket { id } userErrors { code } } }", |_| json!({ "t": t, "a": staff })).await;
            assert_eq!(accepted(m, &bodies, m), N);
            assert_eq!(
                count(
                    app,
                    &format!(
                        "SELECT COUNT(*) FROM tickets WHERE id = {} AND assignee_id = {}",
                        pk(&t),
                        pk(staff.as_str().expect("id"))
                    )
                )
                .await,
                1
            );
        }
        "createEmailTemplate" => {
            let before = count(app, "SELECT COUNT(*) FROM email_templates").await;
            let bodies = at_once(app, admin, "mutation($n: String!) { createEmailTemplate(input: {kind: SERVICE_ORDER, name: $n, subject: \"{{order.number}}\", body: \"{{order.total}}\"}) { template { id } userErrors { code } } }", |i| json!({ "n": format!("Template {i}") })).await;
            assert_eq!(accepted(m, &bodies, m), N);
            assert_eq!(
                count(app, "SELECT COUNT(*) FROM email_templates").await,
                before + N as i64
            );
        }
        "logout" => {
            let (account, tokens) = signed_in(app, "logout-case", 2).await;
            let first = tokens[0].clone();
            let bodies = at_once(
                app,
                Some(&first),
                "mutation { logout { sessionsEnded userErrors { code } } }",
                |_| json!({}),
            )
            .await;
            assert_eq!(accepted(m, &bodies, m), N);
            assert_eq!(ended(&bodies, m), 1, "one session ended, once");
            assert_eq!(live_sessions(app, &account).await, 1, "the other stays");
        }
        "logoutEverywhere" => {
            let (account, tokens) = signed_in(app, "everywhere-case", 3).await;
            let first = tokens[0].clone();
            let bodies = at_once(
                app,
                Some(&first),
                "mutation { logoutEverywhere { sessionsEnded userErrors { code } } }",
                |_| json!({}),
            )
            .await;
            assert_eq!(accepted(m, &bodies, m), N);
            assert_eq!(ended(&bodies, m), 3);
            assert_eq!(live_sessions(app, &account).await, 0);
        }
        "changePassword" => {
            let (account, tokens) = signed_in(app, "change-case", 1).await;
            let token = tokens[0].clone();
            let bodies = at_once(app, Some(&token), "mutation($n: String!) { changePassword(input: {currentPassword: \"correct-horse-battery\", newPassword: $n}) { sessionsEnded userErrors { code } } }", |i| json!({ "n": format!("new-password-{i}") })).await;
            assert_eq!(
                accepted(m, &bodies, m),
                1,
                "of changes over one password, one wins"
            );
            // The calls that checked the current password after the winner changed it
            // gave a wrong password: the throttle counted them against this test's one
            // client address, which the login below and the next cases sign in from.
            use sea_orm::ConnectionTrait;
            app.state
                .db
                .execute_unprepared("DELETE FROM login_failures")
                .await
                .expect("cleared");
            let winner = bodies
                .iter()
                .position(|b| {
                    b["data"][m]["userErrors"]
                        .as_array()
                        .is_some_and(|e| e.is_empty())
                })
                .expect("a winner");
            let out = app
                .ok(
                    "mutation($l: String!, $p: String!) { login(input: {login: $l, password: $p}) { userErrors { code } } }",
                    json!({ "l": "change-case", "p": format!("new-password-{winner}") }),
                    None,
                )
                .await;
            assert_eq!(
                out["login"]["userErrors"],
                json!([]),
                "the winner's password holds"
            );
            assert_eq!(live_sessions(app, &account).await, 2);
        }
        "forcePasswordReset" => {
            let (account, _) = signed_in(app, "reset-case", 2).await;
            let bodies = at_once(app, admin, "mutation($a: ID!) { forcePasswordReset(input: {accountId: $a, temporaryPassword: \"temporary-password\"}) { account { id } userErrors { code } } }", |_| json!({ "a": account })).await;
            assert_eq!(accepted(m, &bodies, m), N);
            assert_eq!(live_sessions(app, &account).await, 0);
            assert_eq!(
                count(
                    app,
                    &format!(
                        "SELECT COUNT(*) FROM accounts WHERE id = {} AND must_change_password",
                        pk(&account)
                    )
                )
                .await,
                1
            );
        }
        "setSpendingControls" => {
            let bodies = at_once(app, Some(&s.main_token), "mutation($a: ID!, $c: Decimal) { setSpendingControls(input: {accountId: $a, monthlyCap: $c}) { account { id } userErrors { code } } }", |i| json!({ "a": s.sub, "c": format!("{}.00", 100 + i) })).await;
            assert_eq!(accepted(m, &bodies, m), N);
            let cap = count(
                app,
                &format!(
                    "SELECT spending_cap_minor FROM accounts WHERE id = {}",
                    pk(&s.sub)
                ),
            )
            .await;
            assert!(
                (0..N as i64).any(|i| cap == (100 + i) * 10_000),
                "the cap is one of the values sent: {cap}"
            );
            assert_eq!(
                count(app, &format!("SELECT COUNT(*) FROM activity_log WHERE action = 'spending_controls.set' AND account_id = {}", pk(&s.sub))).await,
                N as i64,
                "one entry per accepted call"
            );
            // Leave the sub-account without controls for the other cases.
            app.ok("mutation($a: ID!) { setSpendingControls(input: {accountId: $a}) { userErrors { code } } }", json!({ "a": s.sub }), Some(&s.main_token)).await;
        }
        "transferBalance" => {
            let independent = app
                .create_account("conc-transfer-ind", json!({ "status": "ACTIVE" }))
                .await;
            assert_eq!(
                app.link(&s.main, &independent, "INDEPENDENT").await,
                json!([])
            );
            app.set_independent_access(true).await;
            let before = count(
                app,
                &format!(
                    "SELECT balance_minor FROM accounts WHERE id = {}",
                    pk(&s.main)
                ),
            )
            .await;
            let bodies = at_once(app, Some(&s.main_token), "mutation($a: ID!) { transferBalance(input: {accountId: $a, amount: \"5.00\", idempotencyKey: \"once\"}) { transfer { amount replayed } userErrors { code } } }", |_| json!({ "a": independent })).await;
            assert_eq!(
                accepted(m, &bodies, m),
                N,
                "a retry is answered with the transfer"
            );
            let fresh = bodies
                .iter()
                .filter(|b| b["data"][m]["transfer"]["replayed"] == false)
                .count();
            assert_eq!(fresh, 1, "one call moved the money");
            assert_eq!(
                count(
                    app,
                    &format!(
                        "SELECT COUNT(*) FROM balance_transfers WHERE to_account_id = {}",
                        pk(&independent)
                    )
                )
                .await,
                1
            );
            assert_eq!(
                count(
                    app,
                    &format!(
                        "SELECT balance_minor FROM accounts WHERE id = {}",
                        pk(&s.main)
                    )
                )
                .await,
                before - 50_000
            );
            assert_eq!(
                count(
                    app,
                    &format!(
                        "SELECT balance_minor FROM accounts WHERE id = {}",
                        pk(&independent)
                    )
                )
                .await,
                50_000
            );
            app.set_independent_access(false).await;
        }
        "bulkPauseServices" => {
            // Without a key: each service is paused by one call only.
            let mut services = Vec::new();
            for _ in 0..3 {
                services.push(service(app, s).await);
            }
            let bodies = at_once(app, Some(&s.main_token), "mutation($s: [ID!]!) { bulkPauseServices(input: {serviceIds: $s}) { result { items { ok code } } userErrors { code } } }", |_| json!({ "s": services })).await;
            assert_eq!(accepted(m, &bodies, m), N, "every call answers per item");
            let done: usize = bodies
                .iter()
                .map(|b| {
                    b["data"][m]["result"]["items"]
                        .as_array()
                        .map_or(0, |i| i.iter().filter(|i| i["ok"] == true).count())
                })
                .sum();
            assert_eq!(done, 3, "each service paused once");
            for svc in &services {
                assert_eq!(
                    count(
                        app,
                        &format!(
                            "SELECT COUNT(*) FROM service_pauses WHERE service_id = {}",
                            pk(svc)
                        )
                    )
                    .await,
                    1
                );
            }
        }
        "bulkResumeServices" => {
            // With one key: the action runs once; the others answer its results or that
            // it is still running.
            let svc = service(app, s).await;
            app.ok("mutation($s: ID!) { pauseService(input: {serviceId: $s}) { userErrors { code } } }", json!({ "s": svc }), Some(&s.main_token)).await;
            let bodies = at_once(app, Some(&s.main_token), "mutation($s: [ID!]!) { bulkResumeServices(input: {serviceIds: $s, idempotencyKey: \"resume-once\"}) { result { replayed items { ok code } } userErrors { code } } }", |_| json!({ "s": [svc] })).await;
            assert!(accepted(m, &bodies, m) >= 1);
            let ran = bodies
                .iter()
                .filter(|b| b["data"][m]["result"]["replayed"] == false)
                .count();
            assert_eq!(ran, 1, "one call ran it");
            for b in &bodies {
                let result = &b["data"][m]["result"];
                if !result.is_null() {
                    assert_eq!(result["items"][0]["ok"], true, "the same results: {b}");
                } else {
                    assert_eq!(b["data"][m]["userErrors"][0]["code"], "DUPLICATE", "{b}");
                }
            }
            assert_eq!(count(app, &format!("SELECT COUNT(*) FROM service_pauses WHERE service_id = {} AND resumed_on IS NULL", pk(&svc))).await, 0);
        }
        "bulkCreateTickets" => {
            let bodies = at_once(app, Some(&s.main_token), "mutation($a: [ID!]!) { bulkCreateTickets(input: {accountIds: $a, subject: \"Bulk once\", message: \"m\", idempotencyKey: \"tickets-once\"}) { result { replayed items { ok } } userErrors { code } } }", |_| json!({ "a": [s.sub, s.main] })).await;
            assert!(accepted(m, &bodies, m) >= 1);
            assert_eq!(
                count(
                    app,
                    "SELECT COUNT(*) FROM tickets WHERE subject = 'Bulk once'"
                )
                .await,
                2,
                "one ticket per account"
            );
        }
        "updatePartnerBranding" => {
            // Concurrent changes of one partner's colour: each is applied whole, the last wins.
            let partner =
                app.ok("{ partners { id } }", json!({}), admin).await["partners"][0]["id"].clone();
            let colour = |i: usize| format!("#0{}3355", i % 10);
            let bodies = at_once(app, admin, "mutation($p: ID!, $c: String) { updatePartnerBranding(input: {partnerId: $p, accentColor: $c}) { partner { id } userErrors { code } } }", |i| json!({ "p": partner, "c": colour(i) })).await;
            assert_eq!(accepted(m, &bodies, m), N);
            let now = app
                .ok(
                    "{ partners { branding { accentColor } } }",
                    json!({}),
                    admin,
                )
                .await["partners"][0]["branding"]["accentColor"]
                .clone();
            assert!(
                (0..N).any(|i| now == colour(i).as_str()),
                "one of the colours sent ({now})"
            );
        }
        other => panic!("no concurrency case for the mutation {other}: add one"),
    }
}
