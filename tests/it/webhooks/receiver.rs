//! The receiver's gate: the handshake only for an establishment in
//! progress, signatures on the raw bytes, heartbeats, the body limit, and
//! secrets that never reach the database in clear.

use aegis::webhooks::secret::sign;
use reqwest::StatusCode;
use secrecy::SecretString;
use sqlx::PgPool;

use super::Hooks;

#[sqlx::test(migrations = false)]
async fn ensure_establishes_one_webhook_per_active_project_with_sealed_secrets(pool: PgPool) {
    let hooks = Hooks::start(pool).await;
    let report = hooks.ensure().await;
    let active: i64 = hooks
        .app
        .count("select count(*) from projects where not archived and removed_from_portfolio_at is null")
        .await;
    assert_eq!(report.actions.len() as i64, active, "{report:?}");
    let view = hooks.app.fake.webhooks();
    assert_eq!(view.webhooks.len() as i64, active);
    let rows: Vec<(String, Vec<u8>, String)> = sqlx::query_as(
        "select webhook_gid, secret_ciphertext, row_to_json(w)::text from webhooks w where state = 'active'",
    )
    .fetch_all(&hooks.app.pool)
    .await
    .unwrap();
    assert_eq!(rows.len() as i64, active);
    for (gid, ciphertext, whole) in rows {
        let secret = hooks
            .app
            .fake
            .webhook(&gid)
            .expect("the fake has it")
            .secret;
        let clear = secret.as_bytes();
        assert!(
            !ciphertext.windows(clear.len()).any(|w| w == clear),
            "secret in clear"
        );
        assert!(!whole.contains(&secret), "secret in the row: {whole}");
    }
    // A second ensure keeps them all.
    let again = hooks.ensure().await;
    assert!(
        again
            .actions
            .iter()
            .all(|a| matches!(a, aegis::webhooks::Action::Kept { .. })),
        "{again:?}"
    );
}

#[sqlx::test(migrations = false)]
async fn a_stray_handshake_is_refused_and_stores_nothing(pool: PgPool) {
    let hooks = Hooks::start(pool).await;
    hooks.ensure().await;
    let (project, _) = hooks.project_with_tasks().await;
    let (_, id) = hooks.webhook_of(&project).await;
    let before: Vec<u8> =
        sqlx::query_scalar("select secret_ciphertext from webhooks where id = $1")
            .bind(id)
            .fetch_one(&hooks.app.pool)
            .await
            .unwrap();
    let handshake = |id: String| {
        hooks
            .http
            .post(format!("{}webhooks/asana/{id}", hooks.public_url))
            .header("x-hook-secret", "attacker-secret")
            .send()
    };
    let unknown = handshake(uuid::Uuid::new_v4().to_string()).await.unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let active = handshake(id.to_string()).await.unwrap();
    assert_eq!(active.status(), StatusCode::CONFLICT);
    assert!(active.headers().get("x-hook-secret").is_none());
    let after: Vec<u8> = sqlx::query_scalar("select secret_ciphertext from webhooks where id = $1")
        .bind(id)
        .fetch_one(&hooks.app.pool)
        .await
        .unwrap();
    assert_eq!(before, after);
    let rows = hooks.app.count("select count(*) from webhooks").await;
    assert_eq!(
        rows,
        hooks.app.fake.webhooks().webhooks.len() as i64,
        "no row added"
    );
}

#[sqlx::test(migrations = false)]
async fn signatures_heartbeats_and_the_body_limit(pool: PgPool) {
    let hooks = Hooks::start(pool).await;
    hooks.ensure().await;
    let (project, tasks) = hooks.project_with_tasks().await;
    let (gid, id) = hooks.webhook_of(&project).await;
    let secret = SecretString::from(hooks.app.fake.webhook(&gid).unwrap().secret);
    let url = format!("{}webhooks/asana/{id}", hooks.public_url);
    let post = |body: Vec<u8>, signature: Option<String>| {
        let mut request = hooks.http.post(&url).body(body);
        if let Some(signature) = signature {
            request = request.header("x-hook-signature", signature);
        }
        request.send()
    };
    let body = serde_json::to_vec(&serde_json::json!({"events": [{
        "action": "changed", "created_at": "2026-01-01T00:00:00.000Z", "user": null,
        "resource": {"gid": tasks[0], "resource_type": "task"}, "parent": null,
        "change": {"field": "name", "action": "changed"}}]}))
    .unwrap();
    let good = sign(&secret, &body);
    let mut flipped = good.clone().into_bytes();
    flipped[10] = if flipped[10] == b'0' { b'1' } else { b'0' };
    let mut tampered = body.clone();
    let last = tampered.len() - 3;
    tampered[last] ^= 0x01;
    for (body, signature) in [
        (body.clone(), Some(String::from_utf8(flipped).unwrap())),
        (tampered, Some(good.clone())),
        (body.clone(), None),
    ] {
        let answer = post(body, signature).await.unwrap();
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    }
    assert!(
        hooks.pending_project_jobs().await.is_empty(),
        "nothing enqueued"
    );
    let heartbeat = br#"{"events":[]}"#.to_vec();
    let answer = post(heartbeat.clone(), Some(sign(&secret, &heartbeat)))
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(
        hooks.pending_project_jobs().await.is_empty(),
        "a heartbeat enqueues nothing"
    );
    let big = vec![b' '; aegis::webhooks::MAX_BODY + 1];
    let answer = post(big.clone(), Some(sign(&secret, &big))).await.unwrap();
    assert_eq!(answer.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let answer = post(body.clone(), Some(good)).await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let jobs = hooks.pending_project_jobs().await;
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0]["project"], project.as_str());
    assert_eq!(jobs[0]["tasks"], serde_json::json!([tasks[0]]));
    let unknown = format!(
        "{}webhooks/asana/{}",
        hooks.public_url,
        uuid::Uuid::new_v4()
    );
    let answer = hooks
        .http
        .post(unknown)
        .header("x-hook-signature", "00")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::NOT_FOUND);
}
