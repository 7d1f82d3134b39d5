use super::*;

/// Runs mutation `m`'s case: 24 calls at once and what must be stored afterwards.
pub(super) async fn case(app: &TestApp, m: &str, s: &Shop) {
    let admin = Some(app.admin());
    match m {
        "login" => {
            let bodies = at_once(app, None, "mutation { login(input: {login: \"login-case\", password: \"correct-horse-battery\"}) { accessToken userErrors { code } } }", |_| json!({})).await;
            // The throttle reserves before it judges: attempts in flight count against the
            // limit until a success clears them, so of 24 at once from one address at least
            // the limit sign in and the rest are refused cleanly, to try again.
            let signed_in = accepted(m, &bodies, "login");
            let refused = bodies
                .iter()
                .filter(|b| crate::helpers::first_code(b) == "RATE_LIMITED")
                .count();
            assert!(signed_in >= 5, "at least the limit signs in: {signed_in}");
            assert_eq!(signed_in + refused, N, "{bodies:?}");
            let account = app
                .ok(
                    "{ accounts(filter: {search: \"login-case\"}) { nodes { id } } }",
                    json!({}),
                    admin,
                )
                .await["accounts"]["nodes"][0]["id"]
                .as_str()
                .map(pk)
                .expect("account");
            assert_eq!(
                count(
                    app,
                    &format!(
                        "SELECT COUNT(*) FROM refresh_tokens WHERE subject = 'account:{account}'"
                    )
                )
                .await,
                signed_in as i64,
                "one session per login"
            );
        }
        "refreshSession" => {
            let refresh = app
                .ok("mutation { login(input: {login: \"refresh-case\", password: \"correct-horse-battery\"}) { refreshToken } }", json!({}), None)
                .await["login"]["refreshToken"]
                .as_str()
                .expect("refresh token")
                .to_string();
            let bodies = at_once(app, None, "mutation($r: String!) { refreshSession(input: {refreshToken: $r}) { accessToken userErrors { code } } }", |_| json!({ "r": refresh })).await;
            assert_eq!(
                accepted(m, &bodies, "refreshSession"),
                1,
                "a token is spent once"
            );
        }
        "placeOrder" => {
            // 1,000.00 covers 42 orders of 23.80; a fresh payer with 100.00 covers 4.
            let payer = app
                .create_account("place-case", json!({ "status": "ACTIVE" }))
                .await;
            app.deposit(&payer, "100.00").await;
            let token = app.token_for(&payer).await;
            let bodies = at_once(app, Some(&token), "mutation($a: ID!, $t: ID!) { placeOrder(input: {accountId: $a, items: [{tariffId: $t}], paymentMethod: {kind: ACCOUNT_BALANCE}}) { order { status } userErrors { code } } }", |_| json!({ "a": payer, "t": s.fiber })).await;
            assert_eq!(accepted(m, &bodies, "placeOrder"), 4);
            assert_eq!(balance(app, &payer).await, dec("4.80"));
        }
        "approveOrder" => {
            let order = waiting_order(app, s).await;
            let before = balance(app, &s.main).await;
            let bodies = at_once(app, Some(&s.main_token), "mutation($o: ID!) { approveOrder(input: {orderId: $o, paymentMethod: {kind: ACCOUNT_BALANCE}}) { order { status } userErrors { code } } }", |_| json!({ "o": order })).await;
            assert_eq!(accepted(m, &bodies, "approveOrder"), 1);
            assert_eq!(
                balance(app, &s.main).await,
                before - dec("23.80"),
                "one payment"
            );
            assert_eq!(
                count(
                    app,
                    &format!(
                        "SELECT COUNT(*) FROM invoices WHERE order_id = {}",
                        pk(&order)
                    )
                )
                .await,
                1
            );
        }
        "rejectOrder" => {
            let order = waiting_order(app, s).await;
            let bodies = at_once(app, Some(&s.main_token), "mutation($o: ID!) { rejectOrder(input: {orderId: $o, reason: \"no\"}) { order { status } userErrors { code } } }", |_| json!({ "o": order })).await;
            assert_eq!(accepted(m, &bodies, "rejectOrder"), 1);
        }
        "pauseService" => {
            let svc = service(app, s).await;
            let bodies = at_once(app, Some(&s.main_token), "mutation($s: ID!) { pauseService(input: {serviceId: $s}) { service { status } userErrors { code } } }", |_| json!({ "s": svc })).await;
            assert_eq!(accepted(m, &bodies, "pauseService"), 1);
            assert_eq!(
                count(
                    app,
                    &format!(
                        "SELECT COUNT(*) FROM service_pauses WHERE service_id = {}",
                        pk(&svc)
                    )
                )
                .await,
                1
            );
        }
        "resumeService" => {
            let svc = service(app, s).await;
            app.ok("mutation($s: ID!) { pauseService(input: {serviceId: $s}) { userErrors { code } } }", json!({ "s": svc }), Some(&s.main_token)).await;
            let bodies = at_once(app, Some(&s.main_token), "mutation($s: ID!) { resumeService(input: {serviceId: $s}) { service { status } userErrors { code } } }", |_| json!({ "s": svc })).await;
            assert_eq!(accepted(m, &bodies, "resumeService"), 1);
        }
        "changeService" => {
            let svc = service(app, s).await;
            let bodies = at_once(app, Some(&s.main_token), "mutation($s: ID!, $t: ID!) { changeService(input: {serviceId: $s, tariffId: $t, mode: REQUEST}) { changeRequest { id } userErrors { code } } }", |_| json!({ "s": svc, "t": s.fiber_plus })).await;
            assert_eq!(accepted(m, &bodies, "changeService"), 1, "one open request");
            assert_eq!(
                count(
                    app,
                    &format!(
                        "SELECT COUNT(*) FROM change_requests WHERE service_id = {}",
                        pk(&svc)
                    )
                )
                .await,
                1
            );
        }
        "createTicket" => {
            let before = count(app, "SELECT COUNT(*) FROM tickets").await;
            let bodies = at_once(app, Some(&s.sub_token), "mutation { createTicket(input: {subject: \"At once\", message: \"Hello\"}) { ticket { id } userErrors { code } } }", |_| json!({})).await;
            assert_eq!(accepted(m, &bodies, "createTicket"), N);
            assert_eq!(
                count(app, "SELECT COUNT(*) FROM tickets").await,
                before + N as i64
            );
        }
        "replyToTicket" => {
            let t = ticket(app, s).await;
            let bodies = at_once(app, Some(&s.main_token), "mutation($t: ID!) { replyToTicket(input: {ticketId: $t, message: \"More\"}) { ticket { status } userErrors { code } } }", |_| json!({ "t": t })).await;
            assert_eq!(accepted(m, &bodies, "replyToTicket"), N);
            assert_eq!(
                count(
                    app,
                    &format!(
                        "SELECT COUNT(*) FROM ticket_messages WHERE ticket_id = {}",
                        pk(&t)
                    )
                )
                .await,
                N as i64 + 1
            );
        }
        "closeTicket" => {
            let t = ticket(app, s).await;
            let bodies = at_once(app, Some(&s.main_token), "mutation($t: ID!) { closeTicket(input: {ticketId: $t}) { ticket { status } userErrors { code } } }", |_| json!({ "t": t })).await;
            assert_eq!(accepted(m, &bodies, "closeTicket"), 1);
        }
        "markNotificationsRead" => {
            let bodies = at_once(app, Some(&s.main_token), "mutation { markNotificationsRead(input: {all: true}) { unreadNotificationCount userErrors { code } } }", |_| json!({})).await;
            assert_eq!(accepted(m, &bodies, "markNotificationsRead"), N);
            assert_eq!(
                count(app, &format!("SELECT COUNT(*) FROM notifications WHERE account_id = {} AND read_at IS NULL", pk(&s.main))).await,
                0
            );
        }
        "createPartner" => {
            let bodies = at_once(app, admin, "mutation($n: String!) { createPartner(input: {name: $n}) { partner { id } userErrors { code } } }", |i| json!({ "n": format!("Reseller {}", i % 2) })).await;
            assert_eq!(accepted(m, &bodies, "createPartner"), 2, "names are unique");
        }
        "createAccount" => {
            let bodies = at_once(app, admin, "mutation { createAccount(input: {login: \"same-login\", password: \"password-123\", fullName: \"Same\", address: {street: \"s\", city: \"c\", zipCode: \"z\", country: \"c\"}}) { account { id } userErrors { code } } }", |_| json!({})).await;
            assert_eq!(
                accepted(m, &bodies, "createAccount"),
                1,
                "logins are unique"
            );
        }
        "linkSubAccount" => {
            let main = app.create_account("link-main", json!({})).await;
            let sub = app.create_account("link-sub", json!({})).await;
            let bodies = at_once(app, admin, "mutation($m: ID!, $s: ID!) { linkSubAccount(input: {mainAccountId: $m, subAccountId: $s, type: INDEPENDENT}) { account { id } userErrors { code } } }", |_| json!({ "m": main, "s": sub })).await;
            assert_eq!(accepted(m, &bodies, "linkSubAccount"), 1);
            assert_eq!(
                count(
                    app,
                    &format!(
                        "SELECT COUNT(*) FROM account_links WHERE sub_account_id = {}",
                        pk(&sub)
                    )
                )
                .await,
                1
            );
        }
        "unlinkSubAccount" => {
            let main = app.create_account("unlink-main", json!({})).await;
            let sub = app.create_account("unlink-sub", json!({})).await;
            assert_eq!(app.link(&main, &sub, "AGGREGATED").await, json!([]));
            let bodies = at_once(app, admin, "mutation($s: ID!) { unlinkSubAccount(input: {subAccountId: $s}) { account { id } userErrors { code } } }", |_| json!({ "s": sub })).await;
            assert_eq!(accepted(m, &bodies, "unlinkSubAccount"), 1);
        }
        "setSubAccountManagement" => {
            let main = app.create_account("switch-main", json!({})).await;
            let bodies = at_once(app, admin, "mutation($a: ID!, $e: Boolean!) { setSubAccountManagement(input: {accountId: $a, enabled: $e}) { account { subAccountManagement } userErrors { code } } }", |i| json!({ "a": main, "e": i % 2 == 0 })).await;
            assert_eq!(accepted(m, &bodies, "setSubAccountManagement"), N);
            let entries = count(app, &format!("SELECT COUNT(*) FROM activity_log WHERE account_id = {} AND action = 'sub_account_management.set'", pk(&main))).await;
            assert_eq!(entries, N as i64, "one entry per accepted call");
            // The stored value is the last change's.
            use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
            let last = entity::activity::Entity::find()
                .filter(entity::activity::Column::AccountId.eq(pk(&main)))
                .filter(entity::activity::Column::Action.eq("sub_account_management.set"))
                .order_by_desc(entity::activity::Column::Id)
                .one(&app.state.db)
                .await
                .expect("query")
                .expect("entry");
            let after = portal_api::domain::activity::record_of(&last)
                .get("subAccountManagement")
                .and_then(|f| f.after.clone())
                .expect("the switch's new value");
            let stored = app
                .ok(
                    "query($id: ID!) { node(id: $id) { ... on Account { subAccountManagement } } }",
                    json!({ "id": main }),
                    admin,
                )
                .await;
            assert_eq!(stored["node"]["subAccountManagement"], after);
        }
        "updatePortalSettings" => {
            let bodies = at_once(app, admin, "mutation($e: Boolean) { updatePortalSettings(input: {independentSubAccountAccess: $e}) { portalSettings { independentSubAccountAccess } userErrors { code } } }", |i| json!({ "e": i % 2 == 0 })).await;
            assert_eq!(accepted(m, &bodies, "updatePortalSettings"), N);
        }
        "updatePartnerPortalSettings" => {
            let partner =
                app.ok("{ partners { id } }", json!({}), admin).await["partners"][0]["id"].clone();
            let bodies = at_once(app, admin, "mutation($p: ID!, $n: Boolean) { updatePartnerPortalSettings(input: {partnerId: $p, notifyMainOnSubAccountOrder: $n}) { partner { id } userErrors { code } } }", |i| json!({ "p": partner, "n": i % 2 == 0 })).await;
            assert_eq!(accepted(m, &bodies, "updatePartnerPortalSettings"), N);
        }
        "createTariff" => {
            let before = count(app, "SELECT COUNT(*) FROM tariffs").await;
            let bodies = at_once(app, admin, "mutation($n: String!) { createTariff(input: {name: $n, kind: INTERNET, price: \"9.99\"}) { tariff { id } userErrors { code } } }", |i| json!({ "n": format!("Tariff {i}") })).await;
            assert_eq!(accepted(m, &bodies, "createTariff"), N);
            assert_eq!(
                count(app, "SELECT COUNT(*) FROM tariffs").await,
                before + N as i64
            );
        }
        "updateEmailTemplate" => {
            let template = app.ok("{ emailTemplates { id } }", json!({}), admin).await["emailTemplates"][0]["id"].clone();
            let bodies = at_once(app, admin, "mutation($t: ID!, $s: String!) { updateEmailTemplate(input: {id: $t, subject: $s}) { template { subject } userErrors { code } } }", |i| json!({ "t": template, "s": format!("Order {i} of {{{{sub_account.full_name}}}}") })).await;
            assert_eq!(accepted(m, &bodies, "updateEmailTemplate"), N);
        }
        "approveServiceRequest" => {
            let requests = paid_requests(app, s).await;
            let bodies = at_once(app, admin, "mutation($r: ID!) { approveServiceRequest(input: {serviceRequestId: $r, startDate: \"2026-12-01\"}) { serviceRequest { status } userErrors { code } } }", |_| json!({ "r": requests[0] })).await;
            assert_eq!(accepted(m, &bodies, "approveServiceRequest"), 1);
            assert_eq!(
                count(app, &format!("SELECT COUNT(*) FROM service_requests WHERE id = {} AND service_id IS NOT NULL", pk(&requests[0]))).await,
                1
            );
        }
        "rejectServiceRequest" => {
            let requests = paid_requests(app, s).await;
            let before = balance(app, &s.main).await;
            let bodies = at_once(app, admin, "mutation($r: ID!) { rejectServiceRequest(input: {serviceRequestId: $r, reason: \"no line\"}) { serviceRequest { status } userErrors { code } } }", |_| json!({ "r": requests[0] })).await;
            assert_eq!(accepted(m, &bodies, "rejectServiceRequest"), 1);
            assert_eq!(
                balance(app, &s.main).await,
                before + dec("23.80"),
                "one refund"
            );
        }
        "approveChangeRequest" | "rejectChangeRequest" => {
            let request = change_request(app, s).await;
            let bodies = at_once(app, admin, &format!("mutation($c: ID!) {{ {m}(input: {{changeRequestId: $c}}) {{ changeRequest {{ status }} userErrors {{ code }} }} }}"), |_| json!({ "c": request })).await;
            assert_eq!(accepted(m, &bodies, m), 1);
        }
        "uploadDocument" => {
            let before = count(app, "SELECT COUNT(*) FROM documents").await;
            let uploads = (0..N).map(|i| upload(app, &s.sub, i));
            let bodies = join_all(uploads).await;
            assert_eq!(accepted(m, &bodies, "uploadDocument"), N);
            assert_eq!(
                count(app, "SELECT COUNT(*) FROM documents").await,
                before + N as i64
            );
        }
        "recordInternetSession" => {
            let svc = service(app, s).await;
            let bodies = at_once(app, admin, "mutation($s: ID!, $at: DateTime!, $end: DateTime!) { recordInternetSession(input: {serviceId: $s, startedAt: $at, endedAt: $end, downloadBytes: 1000, uploadBytes: 10}) { userErrors { code } } }", |i| json!({ "s": svc, "at": format!("2026-11-02T{:02}:00:00Z", i % 24), "end": format!("2026-11-02T{:02}:30:00Z", i % 24) })).await;
            assert_eq!(accepted(m, &bodies, "recordInternetSession"), N);
            assert_eq!(
                count(app, &format!("SELECT CAST(SUM(download_bytes) AS BIGINT) FROM internet_sessions WHERE service_id = {}", pk(&svc))).await,
                1000 * N as i64
            );
        }
        "recordVoiceCall" => {
            let svc = encode_id(
                "Service",
                app.add_service(
                    &s.sub,
                    &voice_tariff(app).await,
                    entity::enums::ServiceStatus::Active,
                )
                .await,
            );
            let bodies = at_once(app, admin, "mutation($s: ID!) { recordVoiceCall(input: {serviceId: $s, startedAt: \"2026-11-02T10:00:00Z\", destination: \"+4930123\", durationSeconds: 60, cost: \"0.10\"}) { userErrors { code } } }", |_| json!({ "s": svc })).await;
            assert_eq!(accepted(m, &bodies, "recordVoiceCall"), N);
            assert_eq!(
                count(
                    app,
                    &format!(
                        "SELECT COUNT(*) FROM voice_calls WHERE service_id = {}",
                        pk(&svc)
                    )
                )
                .await,
                N as i64
            );
        }
        "adjustBalance" => {
            let account = app.create_account("adjust-case", json!({})).await;
            let bodies = at_once(app, admin, "mutation($a: ID!) { adjustBalance(input: {accountId: $a, amount: \"1.25\", reason: \"at once\"}) { account { id } userErrors { code } } }", |_| json!({ "a": account })).await;
            assert_eq!(accepted(m, &bodies, "adjustBalance"), N);
            assert_eq!(balance(app, &account).await, dec("30.00"));
            assert_eq!(
                count(
                    app,
                    &format!(
                        "SELECT COUNT(*) FROM balance_entries WHERE account_id = {}",
                        pk(&account)
                    )
                )
                .await,
                N as i64
            );
        }
        "runBilling" => {
            let bodies = at_once(app, admin, "mutation { runBilling(input: {periodStart: \"2026-12-01\"}) { invoicesIssued userErrors { code } } }", |_| json!({})).await;
            assert_eq!(accepted(m, &bodies, "runBilling"), N);
            let issued: i64 = bodies
                .iter()
                .map(|b| {
                    b["data"]["runBilling"]["invoicesIssued"]
                        .as_i64()
                        .unwrap_or(0)
                })
                .sum();
            assert_eq!(
                count(
                    app,
                    "SELECT COUNT(*) FROM invoices WHERE period_start IS NOT NULL"
                )
                .await,
                issued,
                "every invoice a run reported, and no more"
            );
            assert_eq!(
                count(app, "SELECT COUNT(*) FROM (SELECT account_id FROM invoices WHERE period_start IS NOT NULL GROUP BY account_id, period_start HAVING COUNT(*) > 1) d").await,
                0,
                "each payer billed once"
            );
        }
        other => day_to_day::case(app, other, s).await,
    }
}
