use crate::support::{TestApp, TestDb, builders::person};
use diesel_async::RunQueryDsl as _;

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

async fn tables(db: &TestDb) -> i64 {
    let mut conn = db.connect().await;
    diesel::sql_query(
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'",
    )
    .get_result::<Count>(&mut conn)
    .await
    .unwrap()
    .n
}

#[tokio::test]
async fn migrations_run_up_down_and_up_again() {
    let db = TestDb::empty().await;
    let applied = expopass::db::migrate(&db.url).await.unwrap();
    assert!(!applied.is_empty());
    let after_up = tables(&db).await;
    assert!(after_up >= 10, "{after_up} tables");
    assert!(
        expopass::db::migrate(&db.url).await.unwrap().is_empty(),
        "nothing pending"
    );

    let reverted = expopass::db::revert_all(&db.url).await.unwrap();
    assert_eq!(reverted, applied.len());
    assert_eq!(
        tables(&db).await,
        0,
        "down.sql removes everything up.sql made"
    );

    let again = expopass::db::migrate(&db.url).await.unwrap();
    assert_eq!(again, applied);
    assert_eq!(tables(&db).await, after_up);
}

#[derive(diesel::QueryableByName)]
struct Key {
    #[diesel(sql_type = diesel::sql_types::Text)]
    key: String,
}

/// Reverts the newest migration, or applies what is pending.
async fn step(url: &str, revert: bool) {
    use diesel::Connection as _;
    use diesel_async::{AsyncPgConnection, async_connection_wrapper::AsyncConnectionWrapper};
    use diesel_migrations::MigrationHarness as _;
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url).unwrap();
        if revert {
            conn.revert_last_migration(expopass::db::MIGRATIONS)
                .unwrap();
        } else {
            conn.run_pending_migrations(expopass::db::MIGRATIONS)
                .unwrap();
        }
    })
    .await
    .unwrap();
}

/// Reverts every migration applied after `version`.
async fn revert_after(url: &str, version: &str) {
    use diesel::Connection as _;
    use diesel_async::{AsyncPgConnection, async_connection_wrapper::AsyncConnectionWrapper};
    use diesel_migrations::MigrationHarness as _;
    let (url, version) = (url.to_owned(), version.to_owned());
    tokio::task::spawn_blocking(move || {
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url).unwrap();
        loop {
            let applied = conn.applied_migrations().unwrap();
            let newest = applied.iter().max().unwrap().to_string();
            if newest.as_str() <= version.as_str() {
                break;
            }
            conn.revert_last_migration(expopass::db::MIGRATIONS)
                .unwrap();
        }
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn search_terms_move_between_the_key_table_and_the_column_both_ways() {
    let app = TestApp::start().await;
    let fixture = app.event("TERMS").await;
    let mut input = person("Ivan", "Petrov");
    input.native_name = "Иван Петров".to_owned();
    app.register(&fixture, input).await;
    assert_eq!(app.found(&fixture.event_id, "иван п").await, ["Ivan"]);

    // Down: the previous versions' key table, with the whole native name
    // and its first word beside each other again.
    revert_after(&app.db.url, "20261128000005").await;
    let mut conn = app.db.connect().await;
    let mut keys: Vec<String> =
        diesel::sql_query("SELECT key FROM participant_name_keys ORDER BY key")
            .load::<Key>(&mut conn)
            .await
            .unwrap()
            .into_iter()
            .map(|k| k.key)
            .collect();
    keys.sort();
    assert_eq!(keys, ["ivan", "petrov", "иван", "иван петров", "петров"]);
    drop(conn);

    // Up again: found by every prefix (the server's name index derives its
    // keys from the names).
    step(&app.db.url, false).await;
    for prefix in ["иван п", "ив", "петр", "pet", "IVAN"] {
        assert_eq!(
            app.found(&fixture.event_id, prefix).await,
            ["Ivan"],
            "{prefix}"
        );
    }
    assert!(app.found(&fixture.event_id, "ivanov").await.is_empty());
}
