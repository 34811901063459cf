use diesel_async::RunQueryDsl as _;

use crate::support::TestDb;

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
