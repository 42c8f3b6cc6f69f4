//! Workers that die, are stopped, or are merely busy: SIGKILL mid-job (the
//! jobs rescued by the next worker within 30 s, the rows those of a clean
//! sync), SIGTERM (the job in flight finishes, the unstarted ones go back at
//! once), and a worker whose every slot is busy for longer than the rescue
//! delay (not taken for dead: its jobs run once).

use std::time::Duration;

use aegis::{
    asana::Gid,
    sync::{PlainObserver, SyncContext, SyncOptions, run_inline},
};
use chrono::{DateTime, Utc};
use fake_asana::FakeAsana;
use sqlx::{PgPool, postgres::PgPoolOptions};

use super::{
    DRAIN, PROJECTS, enqueue, env, finish, run_status, running_project_jobs, slow_fake, spawn,
    statuses,
};
use crate::{
    cli::{aegis, database_url},
    helpers,
};

/// `(task gid, content hash, deleted, home project gid, its projects'
/// gids)`, sorted.
pub(crate) type TaskRow = (String, String, bool, Option<String>, Vec<String>);

pub(crate) async fn task_rows(pool: &PgPool) -> Vec<TaskRow> {
    sqlx::query_as(
        "select t.asana_gid, t.content_hash, t.deleted_at is not null, \
         (select h.asana_gid from projects h where h.id = t.project_id), \
         array(select p.asana_gid from task_memberships m join projects p on p.id = m.project_id \
               where m.task_id = t.id order by 1) \
         from tasks t order by 1",
    )
    .fetch_all(pool)
    .await
    .expect("tasks are readable")
}

/// The task rows a clean inline sync of `fake` gives, in a scratch database
/// next to `pool`'s (dropped afterwards).
pub(crate) async fn clean_sync_rows(pool: &PgPool, fake: &FakeAsana) -> Vec<TaskRow> {
    let own = pool.connect_options().get_database().unwrap().to_owned();
    // Postgres cuts names at 63 bytes: keep it short and distinct from `own`.
    let name = format!("aegis_clean_{}", &own[own.len().saturating_sub(40)..]);
    let ddl = |sql: String| async move {
        // The name is the test database's own plus a suffix: no user input.
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(pool)
            .await
            .expect("scratch database DDL");
    };
    ddl(format!(r#"drop database if exists "{name}" with (force)"#)).await;
    ddl(format!(r#"create database "{name}""#)).await;
    let url = database_url(pool).replace(&own, &name);
    let clean = PgPoolOptions::new()
        .max_connections(4)
        .connect(&url)
        .await
        .expect("connects");
    helpers::migrated(&clean).await;
    let ctx = SyncContext {
        pool: clean.clone(),
        namespace: aegis::store::Namespace::cli_default(),
        asana: helpers::client(fake),
        portfolio: Gid::parse(&fake.portfolio_gid).expect("gid"),
        aegis_user: None,
        events_poll_every: None,
    };
    run_inline(&ctx, &SyncOptions::default(), &PlainObserver)
        .await
        .expect("the clean sync succeeds");
    let rows = task_rows(&clean).await;
    clean.close().await;
    ddl(format!(r#"drop database "{name}" with (force)"#)).await;
    rows
}

#[sqlx::test(migrations = false)]
async fn a_killed_workers_jobs_are_rescued_and_end_as_a_clean_sync(pool: PgPool) {
    helpers::migrated(&pool).await;
    // Three active projects of 300 tasks (the fourth is archived) and the
    // nested portfolio's small one; 50 ms per request keeps jobs in flight.
    let fake = slow_fake(4, 300, Duration::from_millis(50)).await;
    let env = env(&pool, &fake);
    enqueue(&env, &[]).await;
    let mut worker = spawn(
        &env,
        &["worker", "--heartbeat", "1s", "--poll-interval", "100ms"],
    );
    let running = running_project_jobs(&pool).await;
    let dead_worker = running[0].1.clone();
    let killed_at: DateTime<Utc> = sqlx::query_scalar("select now()")
        .fetch_one(&pool)
        .await
        .unwrap();
    worker.kill().await.expect("SIGKILL");
    let held: Vec<String> = running.into_iter().map(|(id, _)| id).collect();

    let drain = aegis(&env, &DRAIN).await;
    assert_eq!(drain.code, Some(0), "{}", drain.both());
    let total: i64 = statuses(&pool).await.iter().map(|(_, n)| n).sum();
    assert_eq!(statuses(&pool).await, [("Done".to_owned(), total)]);
    let duplicated: i64 =
        sqlx::query_scalar("select count(*) - count(distinct asana_gid) from tasks")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(duplicated, 0);

    // Rescued: picked again by another worker, within 30 s of the kill.
    let picked: Vec<(String, DateTime<Utc>)> =
        sqlx::query_as("select lock_by, lock_at from apalis.jobs where id = any($1)")
            .bind(&held)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(picked.len(), held.len());
    for (by, at) in &picked {
        assert_ne!(by, &dead_worker, "never picked again");
        let after = (*at - killed_at).to_std().unwrap_or_default();
        eprintln!("job picked again {after:?} after the SIGKILL");
        assert!(
            after < Duration::from_secs(30),
            "rescued {after:?} after the kill"
        );
    }

    fake.set_latency(Duration::ZERO);
    let rows = task_rows(&pool).await;
    assert!(rows.len() >= 3 * 300, "{}", rows.len());
    let clean = clean_sync_rows(&pool, &fake).await;
    let only_here: Vec<_> = rows.iter().filter(|r| !clean.contains(r)).take(5).collect();
    let only_clean: Vec<_> = clean.iter().filter(|r| !rows.contains(r)).take(5).collect();
    assert!(
        only_here.is_empty() && only_clean.is_empty() && rows.len() == clean.len(),
        "{} rows after the rescue, {} after a clean sync; only after the rescue: \
         {only_here:?}; only after the clean sync: {only_clean:?}",
        rows.len(),
        clean.len()
    );
}

#[sqlx::test(migrations = false)]
async fn sigterm_finishes_the_job_in_flight_and_returns_the_rest(pool: PgPool) {
    helpers::migrated(&pool).await;
    let fake = slow_fake(4, 200, Duration::from_millis(50)).await;
    let env = env(&pool, &fake);
    let run = enqueue(&env, &[]).await;
    let worker = spawn(
        &env,
        &[
            "worker",
            "--concurrency",
            "1",
            "--heartbeat",
            "1s",
            "--poll-interval",
            "100ms",
        ],
    );
    let running = running_project_jobs(&pool).await;
    assert_eq!(running.len(), 1, "{running:?}");
    super::signal(&worker, "-TERM");
    let stopped = finish(worker).await;
    assert_eq!(stopped.code, Some(0), "{}", stopped.both());

    let (in_flight, _) = &running[0];
    let status: String = sqlx::query_scalar("select status from apalis.jobs where id = $1")
        .bind(in_flight)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "Done", "the in-flight job finished");
    // Whatever had been fetched but not started is pending again, at once.
    let projects: Vec<(String, i64)> = sqlx::query_as(
        "select status, count(*) from apalis.jobs where job_type = $1 group by 1 order by 1",
    )
    .bind(PROJECTS)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(
        projects.iter().all(|(s, _)| s == "Done" || s == "Pending"),
        "{projects:?}"
    );
    assert!(projects.iter().any(|(s, _)| s == "Pending"), "{projects:?}");

    let drain = aegis(&env, &DRAIN).await;
    assert_eq!(drain.code, Some(0), "{}", drain.both());
    assert_eq!(run_status(&env, run).await, "done");
    let total: i64 = statuses(&pool).await.iter().map(|(_, n)| n).sum();
    assert_eq!(statuses(&pool).await, [("Done".to_owned(), total)]);
}

#[sqlx::test(migrations = false)]
async fn a_busy_worker_stays_alive_and_its_job_runs_once(pool: PgPool) {
    helpers::migrated(&pool).await;
    // One project whose crawl outlasts 4 missed heartbeats of 1 s (plus the
    // nested portfolio's small one), and two workers of one slot each: the
    // idle one must not take the busy one for dead and run its job again.
    let fake = slow_fake(8, 150, Duration::from_millis(300)).await;
    let env = env(&pool, &fake);
    enqueue(&env, &[]).await;
    let args = [&DRAIN[..], &["--concurrency", "3"]].concat();
    let (first, second) = (spawn(&env, &args), spawn(&env, &args));
    for worker in [first, second] {
        let run = finish(worker).await;
        assert_eq!(run.code, Some(0), "{}", run.both());
    }
    let attempts: Vec<(String, i32)> =
        sqlx::query_as("select id, attempts from apalis.jobs where attempts <> 1 order by id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(attempts.is_empty(), "jobs run more than once: {attempts:?}");
}
