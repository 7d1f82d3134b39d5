//! Balance transfers (SPEC.md "Controls"): a main account moves money to an independent
//! sub-account's balance once per idempotency key, through both ledgers.

use futures_util::future::join_all;
use serde_json::json;

use crate::{
    controls::setup,
    helpers::{decode_pk, first_code},
};

const TRANSFER: &str = "mutation($a: ID!, $m: Decimal!, $k: String!) { transferBalance(input: {accountId: $a, amount: $m, idempotencyKey: $k}) { transfer { amount replayed idempotencyKey from { id } to { id } } userErrors { code field message } } }";

#[tokio::test]
async fn a_transfer_moves_money_once_for_eight_identical_requests_and_needs_funds() {
    let s = setup("50.00").await;
    s.app.set_independent_access(true).await;
    let ind = s.t.independent.clone();
    let bodies = join_all((0..8).map(|_| {
        s.app.graphql(
            TRANSFER,
            json!({ "a": ind, "m": "20.00", "k": "rent-december" }),
            Some(&s.main),
        )
    }))
    .await;
    let mut fresh = 0;
    for (_, body) in &bodies {
        let out = &body["data"]["transferBalance"];
        assert_eq!(out["userErrors"], json!([]), "{body}");
        assert_eq!(out["transfer"]["amount"], "20.00");
        assert_eq!(out["transfer"]["to"]["id"], json!(ind));
        assert_eq!(out["transfer"]["from"]["id"], json!(s.t.main));
        if out["transfer"]["replayed"] == false {
            fresh += 1;
        }
    }
    assert_eq!(fresh, 1, "one request moved the money");
    assert_eq!(s.balance(&s.t.main).await, "30.00");
    assert_eq!(s.balance(&ind).await, "20.00");
    // Both ledgers add up to the balances.
    for account in [&s.t.main, &ind] {
        let id = decode_pk(account);
        assert_eq!(
            s.sql(&format!("SELECT CAST(SUM(amount_minor) AS BIGINT) FROM balance_entries WHERE account_id = {id}")).await,
            s.sql(&format!("SELECT balance_minor FROM accounts WHERE id = {id}")).await
        );
    }
    // Both histories carry the balances before and after; both are told.
    let sent = s.activity(&s.t.main, "balance.transferred").await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["details"]["before"]["balance"], "50.00");
    assert_eq!(sent[0]["details"]["after"]["balance"], "30.00");
    let got = s.activity(&ind, "balance.transferred").await;
    assert_eq!(got[0]["details"]["after"]["balance"], "20.00");
    let ind_token = s.app.token_for(&ind).await;
    for token in [&s.main, &ind_token] {
        let notes = s
            .app
            .ok(
                "{ viewer { notifications { nodes { kind message } } } }",
                json!({}),
                Some(token),
            )
            .await;
        assert!(
            notes["viewer"]["notifications"]["nodes"]
                .as_array()
                .expect("notes")
                .iter()
                .any(|n| n["kind"] == "BALANCE_TRANSFERRED"),
            "{notes}"
        );
    }

    // The key of another transfer, more than the balance, nothing: refused, nothing moved.
    for (amount, key, code, field) in [
        ("5.00", "rent-december", "DUPLICATE", "idempotencyKey"),
        ("30.01", "rent-january", "INSUFFICIENT_BALANCE", "amount"),
        ("0", "zero", "INVALID_INPUT", "amount"),
        ("1.00", "", "INVALID_INPUT", "idempotencyKey"),
    ] {
        let out = s
            .app
            .ok(
                TRANSFER,
                json!({ "a": ind, "m": amount, "k": key }),
                Some(&s.main),
            )
            .await;
        assert_eq!(
            out["transferBalance"]["userErrors"][0]["code"], code,
            "{out}"
        );
        assert_eq!(
            out["transferBalance"]["userErrors"][0]["field"],
            json!(["input", field])
        );
    }
    assert_eq!(s.balance(&s.t.main).await, "30.00");
    assert_eq!(s.sql("SELECT COUNT(*) FROM balance_transfers").await, 1);

    // Not to an aggregated sub-account (its money is the main's), not without independent
    // access, not from a sub-account.
    let (_, agg) = s
        .app
        .graphql(
            TRANSFER,
            json!({ "a": s.t.aggregated, "m": "1.00", "k": "a" }),
            Some(&s.main),
        )
        .await;
    assert_eq!(first_code(&agg), "FORBIDDEN");
    s.app.set_independent_access(false).await;
    let (_, off) = s
        .app
        .graphql(
            TRANSFER,
            json!({ "a": ind, "m": "1.00", "k": "b" }),
            Some(&s.main),
        )
        .await;
    assert_eq!(first_code(&off), "FORBIDDEN");
    let (_, own) = s
        .app
        .graphql(
            TRANSFER,
            json!({ "a": ind, "m": "1.00", "k": "c" }),
            Some(&ind_token),
        )
        .await;
    assert_eq!(first_code(&own), "FORBIDDEN");
    assert_eq!(s.balance(&s.t.main).await, "30.00");
}
