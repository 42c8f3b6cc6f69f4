//! `/healthz` and `/readyz` of [`aegis::web::probes::router`] served on a
//! real loopback listener: not ready before `aegis migrate`, ready after,
//! not ready while Asana rejects the token (401), ready again once it works.

use aegis::{
    jobs::Queues,
    metrics::Metrics,
    web::probes::{ProbeState, router},
};
use sqlx::PgPool;

use super::get;
use crate::helpers;

async fn serve(pool: &PgPool) -> std::net::SocketAddr {
    let state = ProbeState {
        pool: pool.clone(),
        queues: Queues::default(),
        metrics: Metrics::new(),
        budget_key: None,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("its address");
    tokio::spawn(async move { axum::serve(listener, router(state)).await });
    addr
}

#[sqlx::test(migrations = false)]
async fn readyz_follows_the_schema_and_the_token(pool: PgPool) {
    let addr = serve(&pool).await;
    assert_eq!(get(addr, "/healthz").await, (200, "ok\n".to_owned()));
    let (status, why) = get(addr, "/readyz").await;
    assert_eq!(status, 503, "{why}");
    assert!(why.contains("run `aegis migrate`"), "{why}");
    assert_eq!(why.lines().count(), 1, "one line: {why}");

    helpers::migrated(&pool).await;
    assert_eq!(get(addr, "/readyz").await, (200, "ready\n".to_owned()));

    sqlx::query(
        "insert into rate_budgets (key, next_slot, hold, hold_since, probe_at) \
         values ('sha256:test', now(), 'unauthorized', now(), now())",
    )
    .execute(&pool)
    .await
    .expect("a held budget");
    let (status, why) = get(addr, "/readyz").await;
    assert_eq!(status, 503, "{why}");
    assert!(
        why.contains("401") && why.contains("ASANA_ACCESS_TOKEN"),
        "{why}"
    );

    sqlx::query("update rate_budgets set hold = null, hold_since = null")
        .execute(&pool)
        .await
        .expect("the hold lifted");
    assert_eq!(get(addr, "/readyz").await.0, 200);
    // The metrics answer from the same router; the shared view is read.
    let (status, text) = get(addr, "/metrics").await;
    assert_eq!(status, 200);
    assert!(text.contains("aegis_database_up 1"), "{text}");
    assert!(text.ends_with("# EOF\n"), "{text}");
}
