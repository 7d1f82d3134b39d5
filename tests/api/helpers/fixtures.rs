//! The fixtures the tests share, made through the API as staff would make them (accounts,
//! links, switches, partners, tariffs, services) and a ready tenant.

use std::time::Duration;

use portal_api::auth::Subject;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use super::{PASSWORD, TestApp, decode_pk};

impl TestApp {
    /// A token for the account, without the cost of a password check.
    pub async fn token_for(&self, account_id: &str) -> String {
        let pk = decode_pk(account_id);
        self.state
            .jwt
            .issue(Subject::Account(pk), Duration::from_secs(600))
            .expect("token")
            .0
    }

    /// Creates an account (admin) and returns its global ID.
    pub async fn create_account(&self, login: &str, extra: Value) -> String {
        let mut input = json!({
            "login": login, "password": PASSWORD, "fullName": format!("Name of {login}"),
            "address": { "street": "1 Main St", "city": "Springfield", "zipCode": "12345", "country": "US" },
        });
        if let (Some(obj), Some(extra)) = (input.as_object_mut(), extra.as_object()) {
            for (k, v) in extra {
                obj.insert(k.clone(), v.clone());
            }
        }
        let data = self
            .ok(
                "mutation($i: CreateAccountInput!) { createAccount(input: $i) { account { id } userErrors { code message field } } }",
                json!({ "i": input }),
                Some(self.admin()),
            )
            .await;
        assert_eq!(
            data["createAccount"]["userErrors"],
            json!([]),
            "create {login}"
        );
        data["createAccount"]["account"]["id"]
            .as_str()
            .expect("id")
            .to_string()
    }

    /// Links `sub` to `main`; returns the payload's userErrors.
    pub async fn link(&self, main: &str, sub: &str, kind: &str) -> Value {
        let data = self
            .ok(
                "mutation($m: ID!, $s: ID!, $t: SubAccountType!) { linkSubAccount(input: {mainAccountId: $m, subAccountId: $s, type: $t}) { account { id mainAccount { id } } userErrors { code message field } } }",
                json!({ "m": main, "s": sub, "t": kind }),
                Some(self.admin()),
            )
            .await;
        data["linkSubAccount"]["userErrors"].clone()
    }

    pub async fn set_management(&self, account: &str, enabled: bool) {
        let data = self
            .ok(
                "mutation($a: ID!, $e: Boolean!) { setSubAccountManagement(input: {accountId: $a, enabled: $e}) { userErrors { code } } }",
                json!({ "a": account, "e": enabled }),
                Some(self.admin()),
            )
            .await;
        assert_eq!(data["setSubAccountManagement"]["userErrors"], json!([]));
    }

    /// Lets a partner's aggregated sub-accounts place orders (or not).
    pub async fn set_partner_ordering(&self, partner: &Value, allowed: bool) {
        let data = self
            .ok(
                "mutation($p: ID!, $o: Boolean) { updatePartnerPortalSettings(input: {partnerId: $p, subAccountsCanOrder: $o}) { userErrors { code } } }",
                json!({ "p": partner, "o": allowed }),
                Some(self.admin()),
            )
            .await;
        assert_eq!(data["updatePartnerPortalSettings"]["userErrors"], json!([]));
    }

    /// Lets the default partner's aggregated sub-accounts place orders.
    pub async fn allow_sub_orders(&self) {
        let partner = self
            .ok("{ partners { id } }", json!({}), Some(self.admin()))
            .await["partners"][0]["id"]
            .clone();
        self.set_partner_ordering(&partner, true).await;
    }

    /// Credits an account's balance (admin).
    pub async fn deposit(&self, account: &str, amount: &str) {
        let data = self
            .ok(
                "mutation($a: ID!, $m: Decimal!) { adjustBalance(input: {accountId: $a, amount: $m, reason: \"top up\"}) { userErrors { code } } }",
                json!({ "a": account, "m": amount }),
                Some(self.admin()),
            )
            .await;
        assert_eq!(data["adjustBalance"]["userErrors"], json!([]));
    }

    pub async fn set_independent_access(&self, enabled: bool) {
        let data = self
            .ok(
                "mutation($e: Boolean) { updatePortalSettings(input: {independentSubAccountAccess: $e}) { portalSettings { independentSubAccountAccess } userErrors { code } } }",
                json!({ "e": enabled }),
                Some(self.admin()),
            )
            .await;
        assert_eq!(
            data["updatePortalSettings"]["portalSettings"]["independentSubAccountAccess"],
            json!(enabled)
        );
    }

    /// Creates a partner (staff) and returns its ID.
    pub async fn create_partner(&self, name: &str) -> String {
        let data = self
            .ok(
                "mutation($n: String!) { createPartner(input: {name: $n}) { partner { id } userErrors { code } } }",
                json!({ "n": name }),
                Some(self.admin()),
            )
            .await;
        assert_eq!(
            data["createPartner"]["userErrors"],
            json!([]),
            "create {name}"
        );
        data["createPartner"]["partner"]["id"]
            .as_str()
            .expect("partner id")
            .to_string()
    }

    /// Creates an Internet tariff and returns its ID.
    pub async fn create_tariff(&self, name: &str, price: &str) -> String {
        self.create_tariff_of("INTERNET", name, price).await
    }

    /// Creates a tariff of a kind (`INTERNET`, `VOICE`, `CUSTOM`) and returns its ID.
    pub async fn create_tariff_of(&self, kind: &str, name: &str, price: &str) -> String {
        let data = self
            .ok(
                "mutation($k: TariffKind!, $n: String!, $p: Decimal!) { createTariff(input: {name: $n, kind: $k, price: $p, taxPercent: \"19\"}) { tariff { id } userErrors { code } } }",
                json!({ "k": kind, "n": name, "p": price }),
                Some(self.admin()),
            )
            .await;
        data["createTariff"]["tariff"]["id"]
            .as_str()
            .expect("tariff id")
            .to_string()
    }

    /// Places a service directly (service ordering has its own workflow and tests).
    pub async fn add_service(
        &self,
        account: &str,
        tariff: &str,
        status: entity::enums::ServiceStatus,
    ) -> i64 {
        let t = entity::tariff::Entity::find_by_id(decode_pk(tariff))
            .one(&self.state.db)
            .await
            .expect("query")
            .expect("tariff");
        let start = chrono::Utc::now().date_naive();
        portal_api::fixtures::demo::place_service(
            &self.state.db,
            decode_pk(account),
            &t,
            status,
            start,
        )
        .await
        .expect("service placed")
        .id
    }
}

/// A tenant: a main account (management on) with an aggregated and an independent sub.
pub struct Tenant {
    pub main: String,
    pub aggregated: String,
    pub independent: String,
}

impl TestApp {
    pub async fn tenant(&self, prefix: &str) -> Tenant {
        let main = self
            .create_account(&format!("{prefix}-main"), json!({ "status": "ACTIVE" }))
            .await;
        let aggregated = self
            .create_account(&format!("{prefix}-agg"), json!({ "status": "ACTIVE" }))
            .await;
        let independent = self
            .create_account(&format!("{prefix}-ind"), json!({ "status": "ACTIVE" }))
            .await;
        assert_eq!(self.link(&main, &aggregated, "AGGREGATED").await, json!([]));
        assert_eq!(
            self.link(&main, &independent, "INDEPENDENT").await,
            json!([])
        );
        self.set_management(&main, true).await;
        Tenant {
            main,
            aggregated,
            independent,
        }
    }
}
