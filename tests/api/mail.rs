//! The "sub-account placed an order" email: rendered from the partner's template, queued in
//! the outbox with the order, delivered over a real SMTP conversation on 127.0.0.1, and
//! kept (then retried) while the mail server is down.

use portal_api::jobs::outbox::{self, Delivery};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::json;
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
    sync::mpsc,
};

use crate::helpers::TestApp;

/// A minimal SMTP server: accepts one message per connection and hands its DATA over.
async fn smtp_server(listener: TcpListener) -> mpsc::UnboundedReceiver<String> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 test ESMTP\r\n").await;
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(body) = data.as_mut() {
                        if line == "." {
                            let _ = tx.send(std::mem::take(body));
                            data = None;
                            let _ = write.write_all(b"250 queued\r\n").await;
                        } else {
                            body.push_str(&line);
                            body.push('\n');
                        }
                        continue;
                    }
                    let verb = line
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250-test\r\n250 8BITMIME\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go ahead\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            break;
                        }
                        _ => b"250 ok\r\n",
                    };
                    let _ = write.write_all(reply).await;
                }
            });
        }
    });
    rx
}

/// A main account with an email address, management on, and an aggregated sub-account
/// whose partner lets it order; the sub-account places an order.
async fn sub_account_order(app: &TestApp) -> String {
    let main = app
        .create_account(
            "boss",
            json!({ "email": "boss@example.net", "fullName": "Boss Holdings" }),
        )
        .await;
    let sub = app
        .create_account("kiosk", json!({ "fullName": "Kiosk Süd" }))
        .await;
    app.link(&main, &sub, "AGGREGATED").await;
    app.set_management(&main, true).await;
    let partner = app
        .ok("{ partners { id } }", json!({}), Some(app.admin()))
        .await["partners"][0]["id"]
        .clone();
    app.ok("mutation($p: ID!) { updatePartnerPortalSettings(input: {partnerId: $p, subAccountsCanOrder: true}) { userErrors { code } } }", json!({ "p": partner }), Some(app.admin())).await;
    let tariff = app.create_tariff("Fiber", "20.00").await;
    let token = app.token_for(&sub).await;
    let out = app
        .ok("mutation($a: ID!, $t: ID!) { placeOrder(input: {accountId: $a, items: [{tariffId: $t}]}) { order { number status } userErrors { code } } }", json!({ "a": sub, "t": tariff }), Some(&token))
        .await;
    assert_eq!(
        out["placeOrder"]["order"]["status"],
        "AWAITING_MAIN_APPROVAL"
    );
    out["placeOrder"]["order"]["number"]
        .as_str()
        .expect("number")
        .to_string()
}

fn smtp(port: u16) -> Delivery {
    Delivery::Smtp {
        host: "127.0.0.1".into(),
        port,
        starttls: false,
        credentials: None,
        from: "Portal <portal@example.net>".into(),
    }
}

#[tokio::test]
async fn the_main_account_gets_the_order_email_over_smtp_with_the_sub_accounts_name() {
    let app = TestApp::spawn().await;
    let number = sub_account_order(&app).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let mut inbox = smtp_server(listener).await;
    assert_eq!(
        outbox::run_once(&app.state.db, &smtp(port))
            .await
            .expect("runs"),
        1
    );
    let message = inbox.recv().await.expect("a message arrived");
    assert!(message.contains("To: boss@example.net"), "{message}");
    assert!(message.contains(&number), "{message}");
    assert!(
        message.contains("Kiosk S"),
        "the sub-account's name: {message}"
    );
    assert_eq!(
        outbox::run_once(&app.state.db, &smtp(port))
            .await
            .expect("runs"),
        0,
        "sent once"
    );
}

#[tokio::test]
async fn an_smtp_outage_loses_nothing_and_the_message_goes_out_later() {
    let app = TestApp::spawn().await;
    sub_account_order(&app).await;
    // Nothing listens on this port yet.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    assert_eq!(
        outbox::run_once(&app.state.db, &smtp(port))
            .await
            .expect("runs"),
        0
    );
    let rows = entity::email_outbox::Entity::find()
        .all(&app.state.db)
        .await
        .expect("query");
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].status, rows[0].attempts),
        (entity::enums::OutboxStatus::Pending, 1)
    );
    assert!(rows[0].last_error.is_some());
    // The backoff has passed (moved here instead of waiting); the server is back.
    entity::email_outbox::Entity::update_many()
        .col_expr(
            entity::email_outbox::Column::NextAttemptAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)),
        )
        .filter(entity::email_outbox::Column::Id.eq(rows[0].id))
        .exec(&app.state.db)
        .await
        .expect("update");
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("rebind the same port");
    let mut inbox = smtp_server(listener).await;
    assert_eq!(
        outbox::run_once(&app.state.db, &smtp(port))
            .await
            .expect("runs"),
        1
    );
    assert!(inbox.recv().await.is_some());
    let row = entity::email_outbox::Entity::find_by_id(rows[0].id)
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("row");
    assert_eq!(
        (row.status, row.attempts),
        (entity::enums::OutboxStatus::Sent, 2)
    );
}

#[tokio::test]
async fn without_smtp_settings_mail_is_written_as_eml_files() {
    let app = TestApp::spawn().await;
    let number = sub_account_order(&app).await;
    let dir = std::env::temp_dir().join(format!("portal-outbox-{}", uuid::Uuid::new_v4()));
    let delivery = Delivery::Folder {
        dir: dir.clone(),
        from: "Portal <portal@example.net>".into(),
    };
    assert_eq!(
        outbox::run_once(&app.state.db, &delivery)
            .await
            .expect("runs"),
        1
    );
    let file = std::fs::read_dir(&dir)
        .expect("dir")
        .next()
        .expect("a file")
        .expect("entry")
        .path();
    assert_eq!(file.extension().and_then(|e| e.to_str()), Some("eml"));
    assert!(
        std::fs::read_to_string(&file)
            .expect("text")
            .contains(&number)
    );
    let _ = std::fs::remove_dir_all(dir);
}
