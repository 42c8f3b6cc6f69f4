//! What the binary says about the database itself: not migrated (exit 2,
//! one line: run `aegis migrate`), a failing query (exit 1, PostgreSQL's
//! message once, without the server's source position), a URL of another
//! database (exit 2).

use sqlx::PgPool;

use super::{aegis, assert_config_error, database_url, error_line, fake, sync_env};
use crate::helpers;

#[sqlx::test(migrations = false)]
async fn an_unmigrated_database_is_one_line_saying_run_migrate(pool: PgPool) {
    let fake = fake().await;
    let env = sync_env(&pool, &fake);
    let start = format!(
        "error: the database at {} is not migrated",
        database_url(&pool)
    );
    let commands: [&[&str]; 7] = [
        &["status"],
        &["runs"],
        &["runs", "5b0e3c3e-1f59-4d55-8f4e-8d3d2a1f8c11"],
        &["enqueue", "sync"],
        &["queue", "list"],
        &["queue", "stats"],
        &["sync", "--no-console"],
    ];
    for args in commands {
        let run = aegis(&env, args).await;
        if args[0] != "sync" {
            assert_config_error(&run, &start);
        }
        assert_eq!(run.code, Some(2), "{args:?}: {}", run.both());
        let error = error_line(&run);
        assert!(error.starts_with(&start), "{args:?}: {error}");
        assert!(
            error.ends_with(": run `aegis migrate`"),
            "{args:?}: {error}"
        );
        assert!(error.matches("does not exist").count() <= 1, "{error}");
        assert!(!error.contains(" at line "), "{error}");
    }
}

#[sqlx::test(migrations = false)]
async fn a_failing_query_reads_as_postgres_message_once(pool: PgPool) {
    helpers::migrated(&pool).await;
    sqlx::query("alter table sync_runs drop column api_requests")
        .execute(&pool)
        .await
        .unwrap();
    let env = [("DATABASE_URL", database_url(&pool))];
    let run = aegis(&env, &["runs"]).await;
    assert_eq!(run.code, Some(1), "{}", run.both());
    let error = error_line(&run);
    assert!(
        error.starts_with("error: reading the runs failed: "),
        "{error}"
    );
    assert_eq!(error.matches("does not exist").count(), 1, "{error}");
    assert!(error.contains("api_requests"), "{error}");
    assert!(!error.contains(" at line "), "{error}");
}

#[tokio::test]
async fn a_database_url_of_another_database_is_named_as_such() {
    let env = [("DATABASE_URL", "mysql://aegis:hunter2@db/aegis".to_owned())];
    let run = aegis(&env, &["status"]).await;
    assert_config_error(&run, "error: DATABASE_URL must be a postgres:// URL, got ");
    assert!(!run.both().contains("hunter2"));
    assert!(!run.both().contains("lookup"), "{}", run.stderr);
}

#[sqlx::test(migrations = false)]
async fn a_worker_on_an_unmigrated_database_says_so_once_and_exits_2(pool: PgPool) {
    let fake = fake().await;
    let env = sync_env(&pool, &fake);
    let run = aegis(&env, &["worker", "--drain", "--poll-interval", "100ms"]).await;
    assert_eq!(run.code, Some(2), "{}", run.both());
    let error = error_line(&run);
    assert!(
        error.ends_with(
            "is not migrated (relation \"apalis.jobs\" does not exist): run `aegis migrate`"
        ),
        "{error}"
    );
    // Checked before any apalis worker starts: no worker restarts, no
    // storm of errors before aegis's own line.
    let lines = run.stderr.lines().count();
    assert!(lines <= 3, "{lines} lines: {}", run.stderr);
    assert!(!run.stderr.contains("ERROR"), "{}", run.stderr);
}

#[sqlx::test(migrations = false)]
async fn a_chosen_schema_and_queue_prefix_hold_everything_aegis_writes(pool: PgPool) {
    let fake = fake().await;
    let mut env = sync_env(&pool, &fake);
    env.push(("AEGIS_SCHEMA", "team_x".to_owned()));
    env.push(("AEGIS_QUEUE_PREFIX", "team_x".to_owned()));
    for args in [
        &["migrate"][..],
        &["enqueue", "sync"],
        &["worker", "--drain"],
    ] {
        let run = aegis(&env, args).await;
        assert_eq!(run.code, Some(0), "{args:?}: {}", run.both());
    }
    let (in_schema, in_public): (i64, Option<String>) = sqlx::query_as(
        "select (select count(*) from team_x.tasks), to_regclass('public.tasks')::text",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(in_schema > 0, "the tasks are in team_x");
    assert_eq!(in_public, None, "nothing of aegis's in public");
    let kinds: Vec<String> =
        sqlx::query_scalar("select distinct job_type from apalis.jobs order by 1")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        kinds,
        ["team_x.sync-portfolio", "team_x.sync-project-tasks"]
    );
    // The default setup sees none of it: its schema was never migrated.
    let default_env = sync_env(&pool, &fake);
    let run = aegis(&default_env, &["status"]).await;
    assert_eq!(run.code, Some(2), "{}", run.both());
    // The prefixed queues' jobs, named by their short kind.
    let run = aegis(&env, &["queue", "stats", "--json"]).await;
    assert_eq!(run.code, Some(0), "{}", run.both());
    let stats: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    let projects = &stats["kinds"][1];
    assert_eq!(projects["kind"], "sync-project-tasks", "{}", run.stdout);
    assert_eq!(projects["done"], 3, "{}", run.stdout);
}

#[sqlx::test(migrations = false)]
async fn a_bad_schema_name_is_a_usage_error(pool: PgPool) {
    let env = [
        ("DATABASE_URL", database_url(&pool)),
        ("AEGIS_SCHEMA", "Team-X".to_owned()),
    ];
    let run = aegis(&env, &["migrate"]).await;
    assert_eq!(run.code, Some(2), "{}", run.both());
    let error = error_line(&run);
    assert!(
        error.contains("AEGIS_SCHEMA") && error.contains("\"Team-X\""),
        "{error}"
    );
}
