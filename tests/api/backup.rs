//! `portal-api backup --out FILE` while the server takes writes, then a restore as the README
//! tells it (SQLite: the file in place; PostgreSQL: `pg_restore` into a new database): the
//! restored database serves, holds every write answered before the backup began, and no
//! half of a write (each ticket with its first message).

use std::{
    process::Command,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
};

use serde_json::json;

use crate::{
    cli::{login, post, run, serve},
    helpers::TestDb,
};

const CREATE: &str = "mutation($s: String!) { createTicket(input: {subject: $s, message: \"kept\"}) { ticket { id } userErrors { code } } }";
const COUNT: &str = "{ viewer { account { tickets { totalCount } } } }";

#[tokio::test]
async fn a_backup_taken_under_writes_restores_whole() {
    let (db, _guard) = TestDb::create().await;
    run(&db, &["seed", "--demo"]);
    let env = [
        ("PORTAL_RATE_LIMIT_BURST", "1000000"),
        ("PORTAL_RATE_LIMIT_PER_SECOND", "1000000"),
    ];
    let (mut server, addr) = serve(&db, &["--shutdown-drain-secs", "0"], &env);
    let client = reqwest::Client::new();
    let token = login(&client, &addr).await;

    // A writer opens tickets until told to stop.
    let answered = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let warmed = Arc::new(tokio::sync::Notify::new());
    let writer = tokio::spawn({
        let (client, addr, token) = (client.clone(), addr.clone(), token.clone());
        let (answered, stop, warmed) = (answered.clone(), stop.clone(), warmed.clone());
        async move {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                let body = post(
                    &client,
                    &addr,
                    Some(&token),
                    CREATE,
                    json!({ "s": format!("during {n}") }),
                )
                .await;
                assert!(
                    body["data"]["createTicket"]["ticket"]["id"].is_string(),
                    "{body}"
                );
                n += 1;
                if answered.fetch_add(1, Ordering::SeqCst) + 1 == 10 {
                    warmed.notify_one();
                }
            }
        }
    });
    warmed.notified().await;
    let before = answered.load(Ordering::SeqCst);
    let file = std::env::temp_dir().join(format!("portal-backup-{}", uuid::Uuid::new_v4()));
    let out = file.to_str().expect("path").to_string();
    let printed = tokio::task::spawn_blocking({
        let (db, out) = (db.clone(), out.clone());
        move || run(&db, &["backup", "--out", &out])
    })
    .await
    .expect("join");
    assert!(printed.starts_with("Backed up to"), "{printed}");
    let during = answered.load(Ordering::SeqCst);
    stop.store(true, Ordering::SeqCst);
    writer.await.expect("writer");
    assert!(during > before, "writes went on during the backup");

    // A second backup to the same file is refused; the first stays as it is.
    let again = Command::new(env!("CARGO_BIN_EXE_portal-api"))
        .args(["backup", "--out", &out])
        .env("DATABASE_URL", &db)
        .output()
        .expect("runs");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));

    Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .expect("kill");
    server.wait().expect("stops");

    // Restore into a fresh database, the README's way for the engine.
    let (restored, _restored_guard) = TestDb::create().await;
    if restored.starts_with("postgres") {
        let status = Command::new("pg_restore")
            .args(["--no-owner", "--dbname", &restored, &out])
            .status()
            .expect("pg_restore runs");
        assert!(status.success());
    } else {
        let path = restored
            .trim_start_matches("sqlite://")
            .split('?')
            .next()
            .expect("path")
            .to_string();
        std::fs::copy(&file, &path).expect("the file in place");
    }
    let _ = std::fs::remove_file(&file);

    let (mut server, addr) = serve(&restored, &["--shutdown-drain-secs", "0"], &env);
    let token = login(&client, &addr).await;
    let count = post(&client, &addr, Some(&token), COUNT, json!({})).await;
    let tickets = count["data"]["viewer"]["account"]["tickets"]["totalCount"]
        .as_u64()
        .unwrap_or_else(|| panic!("{count}")) as usize;

    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let conn = sea_orm::Database::connect(&restored)
        .await
        .expect("connect");
    let kept = entity::ticket::Entity::find()
        .filter(entity::ticket::Column::Subject.starts_with("during "))
        .all(&conn)
        .await
        .expect("tickets");
    assert!(
        kept.len() >= before && kept.len() <= during + 1,
        "the copy is of one instant during the backup: {} of {before}..={during}",
        kept.len()
    );
    for ticket in &kept {
        let messages = entity::ticket_message::Entity::find()
            .filter(entity::ticket_message::Column::TicketId.eq(ticket.id))
            .count(&conn)
            .await
            .expect("messages");
        assert_eq!(messages, 1, "{} came back whole", ticket.subject);
    }
    assert!(
        tickets >= kept.len(),
        "the restored server serves them: {count}"
    );
    conn.close().await.ok();
    Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .expect("kill");
    server.wait().expect("stops");
}
