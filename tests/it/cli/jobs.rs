//! `aegis enqueue` and `aegis queue …` through the binary: no token needed
//! to enqueue, names checked against the stored portfolio, and the queue
//! commands' one-line refusals and exit codes.

use sqlx::PgPool;

use super::{aegis, assert_config_error, database_url, error_line, fake, sync_env};
use crate::helpers;

#[sqlx::test(migrations = false)]
async fn enqueue_needs_no_token_and_refuses_unknown_names_once_projects_are_known(pool: PgPool) {
    helpers::migrated(&pool).await;
    let fake = fake().await;
    let env = sync_env(&pool, &fake);
    let no_token: Vec<_> = env
        .iter()
        .filter(|(k, _)| *k != "ASANA_ACCESS_TOKEN")
        .cloned()
        .collect();
    // Before any portfolio sync nothing is known: the job checks the name.
    let run = aegis(&no_token, &["enqueue", "sync", "--project", "Nope"]).await;
    assert_eq!(run.code, Some(0), "{}", run.both());
    assert!(
        run.stdout.trim().parse::<uuid::Uuid>().is_ok(),
        "{}",
        run.stdout
    );

    let sync = aegis(&env, &["sync", "--no-console", "--projects-only"]).await;
    assert_eq!(sync.code, Some(0), "{}", sync.both());
    let run = aegis(&no_token, &["enqueue", "sync", "--project", "Nope"]).await;
    assert_config_error(&run, "error: unknown project(s) Nope: the portfolio has ");
    for known in ["Aegis", "Triptic", "Agents"] {
        assert!(run.stderr.contains(known), "{}", run.stderr);
    }
    // One rule with the sync's: an unknown gid is refused like a name.
    let run = aegis(&no_token, &["enqueue", "sync", "--project", "999"]).await;
    assert_config_error(&run, "error: unknown project(s) 999: the portfolio has ");
    assert!(run.stderr.contains("--projects-only"), "{}", run.stderr);
    let args = ["enqueue", "sync", "--project", "Aegis", "--json"];
    let run = aegis(&no_token, &args).await;
    assert_eq!(run.code, Some(0), "{}", run.both());
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    let id = json["run"].as_str().expect("a run id");
    let runs = aegis(&no_token[..1], &["runs", id]).await;
    assert!(runs.stdout.contains(" queued (queued "), "{}", runs.stdout);
    assert!(runs.stdout.contains("not started"), "{}", runs.stdout);

    let run = aegis(&no_token[..1], &["enqueue", "sync"]).await;
    assert_config_error(&run, "error: ASANA_PORTFOLIO_GID is not set (");
    let run = aegis(&no_token, &["worker", "--drain"]).await;
    assert_config_error(&run, "error: ASANA_ACCESS_TOKEN is not set (");
}

#[sqlx::test(migrations = false)]
async fn queue_commands_say_what_they_could_not_do(pool: PgPool) {
    let db = ("DATABASE_URL", database_url(&pool));
    let stats = aegis(std::slice::from_ref(&db), &["queue", "stats"]).await;
    assert_eq!(stats.code, Some(2), "{}", stats.both());
    assert!(
        error_line(&stats).contains("aegis migrate"),
        "{}",
        stats.stderr
    );

    helpers::migrated(&pool).await;
    let env = [db.clone(), ("ASANA_PORTFOLIO_GID", "42".to_owned())];
    assert_eq!(aegis(&env, &["enqueue", "sync"]).await.code, Some(0));
    let list = aegis(&env, &["queue", "list", "--json"]).await;
    let jobs: serde_json::Value = serde_json::from_str(&list.stdout).expect("JSON");
    let id = jobs["jobs"][0]["id"].as_str().expect("a job id").to_owned();
    let show = aegis(&env, &["queue", "show", &id]).await;
    assert_eq!(show.code, Some(0), "{}", show.both());
    for expected in [
        "kind:       sync-portfolio",
        "state:      pending",
        "0/5",
        "\"portfolio\":\"42\"",
    ] {
        assert!(
            show.stdout.contains(expected),
            "{expected}: {}",
            show.stdout
        );
    }

    let list = aegis(&env, &["queue", "list", "--kind", "nope"]).await;
    assert_config_error(&list, "error: unknown job kind \"nope\"");
    let purge = aegis(
        &env,
        &["queue", "purge", "--done-older-than", "0s", "--json"],
    )
    .await;
    assert_eq!(purge.code, Some(0), "{}", purge.both());
    let purged: serde_json::Value = serde_json::from_str(&purge.stdout).expect("JSON");
    assert_eq!(purged, serde_json::json!({"jobs": 0, "workers": 0}));
    let stats = aegis(&env, &["queue", "stats"]).await;
    assert!(stats.stdout.contains("sync-portfolio"), "{}", stats.stdout);
}

/// A migrated database with one pending `sync-portfolio` job; its env and
/// the job's id.
async fn one_pending_job(pool: &PgPool) -> ([(&'static str, String); 2], String) {
    helpers::migrated(pool).await;
    let env = [
        ("DATABASE_URL", database_url(pool)),
        ("ASANA_PORTFOLIO_GID", "42".to_owned()),
    ];
    assert_eq!(aegis(&env, &["enqueue", "sync"]).await.code, Some(0));
    let list = aegis(&env, &["queue", "list", "--json"]).await;
    let jobs: serde_json::Value = serde_json::from_str(&list.stdout).expect("JSON");
    let id = jobs["jobs"][0]["id"].as_str().expect("a job id").to_owned();
    (env, id)
}

#[sqlx::test(migrations = false)]
async fn ids_that_name_nothing_and_live_jobs_are_bad_usage(pool: PgPool) {
    let (env, id) = one_pending_job(&pool).await;
    let retry = aegis(&env, &["queue", "retry", &id]).await;
    let expected = format!("error: job {id} is pending, not dead: only dead jobs are retried");
    assert_config_error(&retry, &expected);
    let retry = aegis(&env, &["queue", "retry", "01NOSUCHJOB"]).await;
    assert_config_error(&retry, "error: no aegis job 01NOSUCHJOB (");
    let show = aegis(&env, &["queue", "show", "01NOSUCHJOB"]).await;
    assert_config_error(&show, "error: no aegis job 01NOSUCHJOB (");
    let unknown_run = "5b0e3c3e-1f59-4d55-8f4e-8d3d2a1f8c11";
    let runs = aegis(&env, &["runs", unknown_run]).await;
    assert_config_error(&runs, &format!("error: no run {unknown_run} ("));
    // The job is untouched.
    let show = aegis(&env, &["queue", "show", &id]).await;
    assert!(
        show.stdout.contains("state:      pending"),
        "{}",
        show.stdout
    );
}

#[sqlx::test(migrations = false)]
async fn retrying_all_dead_with_none_dead_is_done_and_says_so(pool: PgPool) {
    let (env, _) = one_pending_job(&pool).await;
    let retry = aegis(&env, &["queue", "retry", "--all-dead"]).await;
    assert_eq!(retry.code, Some(0), "{}", retry.both());
    assert_eq!(retry.stdout, "no dead jobs to retry\n");
    assert_eq!(retry.stderr, "");
    let args = ["queue", "retry", "--all-dead", "--kind", "sync-portfolio"];
    let retry = aegis(&env, &args).await;
    assert_eq!(retry.code, Some(0), "{}", retry.both());
    assert_eq!(
        retry.stdout,
        "no dead jobs of kind sync-portfolio to retry\n"
    );
    let retry = aegis(&env, &["queue", "retry", "--all-dead", "--json"]).await;
    assert_eq!(retry.code, Some(0), "{}", retry.both());
    let json: serde_json::Value = serde_json::from_str(&retry.stdout).expect("JSON");
    assert_eq!(json, serde_json::json!({"retried": [], "runs_reopened": 0}));
}

#[sqlx::test(migrations = false)]
async fn purge_says_what_it_will_delete_and_needs_yes_off_a_terminal(pool: PgPool) {
    let (env, id) = one_pending_job(&pool).await;
    sqlx::query(
        "update apalis.jobs set status = 'Done', done_at = now() - interval '2 days' where id = $1",
    )
    .bind(&id)
    .execute(&pool)
    .await
    .unwrap();
    let asked = aegis(&env, &["queue", "purge", "--done-older-than", "1d"]).await;
    assert_config_error(
        &asked,
        "error: queue purge would delete 1 done job(s) finished more than 1d ago and 0 stale \
         worker row(s): nothing deleted (pass --yes to delete them)",
    );
    let left: i64 = sqlx::query_scalar("select count(*) from apalis.jobs")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(left, 1, "nothing deleted without --yes");
    let purged = aegis(
        &env,
        &["queue", "purge", "--done-older-than", "1d", "--yes"],
    )
    .await;
    assert_eq!(purged.code, Some(0), "{}", purged.both());
    assert!(
        purged.stdout.contains("purged 1 done job(s)"),
        "{}",
        purged.stdout
    );
    let left: i64 = sqlx::query_scalar("select count(*) from apalis.jobs")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
}
