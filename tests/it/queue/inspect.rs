//! `aegis queue stats | list | show`: counts, filters and fields.

use aegis::queue::{self, Error, JobState};
use aegis_jobs::queue::{SYNC_PORTFOLIO, SYNC_PROJECT_TASKS};
use serde_json::json;
use sqlx::PgPool;

use super::*;
use crate::helpers::migrated;

#[sqlx::test(migrations = false)]
async fn stats_list_every_kind_with_zeros_when_empty(pool: PgPool) {
    migrated(&pool).await;
    let stats = queue::stats(&pool, &aegis_jobs::Queues::default())
        .await
        .unwrap();
    let kinds: Vec<_> = stats.iter().map(|s| s.kind.as_str()).collect();
    assert_eq!(kinds, [SYNC_PORTFOLIO, SYNC_PROJECT_TASKS]);
    for s in &stats {
        let counts = [
            s.pending,
            s.scheduled,
            s.running,
            s.retrying,
            s.done,
            s.dead,
        ];
        assert_eq!(counts, [0; 6], "{s:?}");
        assert_eq!(s.oldest_pending_age_secs, None);
    }
}

#[sqlx::test(migrations = false)]
async fn stats_count_each_state_per_kind(pool: PgPool) {
    migrated(&pool).await;
    worker(&pool, "w1", SYNC_PROJECT_TASKS, 0.0).await;
    let rows = [
        Row::pending().runnable_for(120.0),
        Row::pending(),
        Row::queued("w1"),
        Row::scheduled(),
        Row::running("w1"),
        Row::retrying(),
        Row::retrying().runnable_for(5.0),
        Row::exhausted(),
        Row::killed(),
        Row::done(10.0),
    ];
    for (i, row) in rows.into_iter().enumerate() {
        let (id, _) = project_job(&pool, &format!("p{i}")).await;
        put(&pool, &id, row).await;
    }
    let (done, _) = portfolio_job(&pool).await;
    put(&pool, &done, Row::done(0.0)).await;
    portfolio_job(&pool).await; // pending, runnable since just now
    host_job(&pool, "host-1").await;
    put(&pool, "host-1", Row::pending().runnable_for(9_999.0)).await;

    let stats = queue::stats(&pool, &aegis_jobs::Queues::default())
        .await
        .unwrap();
    let [portfolio, project] = &stats[..] else {
        panic!("one row per aegis queue: {stats:?}")
    };
    assert_eq!(project.kind, SYNC_PROJECT_TASKS);
    let counts = |s: &queue::QueueStats| {
        [
            s.pending,
            s.scheduled,
            s.running,
            s.retrying,
            s.done,
            s.dead,
        ]
    };
    assert_eq!(counts(project), [3, 1, 1, 2, 1, 2]);
    let age = project.oldest_pending_age_secs.expect("a pending job");
    assert!((120..125).contains(&age), "oldest pending age {age}");
    assert_eq!(portfolio.kind, SYNC_PORTFOLIO);
    assert_eq!(counts(portfolio), [1, 0, 0, 0, 1, 0]);
    let age = portfolio.oldest_pending_age_secs.expect("a pending job");
    assert!((0..5).contains(&age), "fresh pending age {age}");
}

/// A dead project job, a dead portfolio job, a pending and a scheduled
/// project job, and a dead job of a host queue.
struct Listed {
    dead_project: (String, aegis_jobs::SyncProjectTasks),
    dead_portfolio: (String, aegis_jobs::SyncPortfolio),
    pending: String,
    scheduled: String,
}

async fn listed_jobs(pool: &PgPool) -> Listed {
    let dead_project = project_job(pool, "42").await;
    put(pool, &dead_project.0, Row::exhausted()).await;
    let dead_portfolio = portfolio_job(pool).await;
    put(pool, &dead_portfolio.0, Row::killed()).await;
    let (pending, _) = project_job(pool, "43").await;
    let (scheduled, _) = project_job(pool, "44").await;
    put(pool, &scheduled, Row::scheduled()).await;
    host_job(pool, "host-1").await;
    put(pool, "host-1", Row::killed()).await;
    Listed {
        dead_project,
        dead_portfolio,
        pending,
        scheduled,
    }
}

async fn listed(pool: &PgPool, state: Option<JobState>, kind: Option<&str>) -> Vec<String> {
    let jobs = queue::list(pool, &aegis_jobs::Queues::default(), state, kind, 100)
        .await
        .unwrap();
    jobs.into_iter().map(|j| j.id).collect()
}

#[sqlx::test(migrations = false)]
async fn list_shows_aegis_jobs_newest_first_up_to_the_limit(pool: PgPool) {
    migrated(&pool).await;
    let l = listed_jobs(&pool).await;
    let all = listed(&pool, None, None).await;
    let mut newest_first = all.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(all, newest_first, "newest (greatest ULID) first");
    let expected = vec![l.dead_project.0, l.dead_portfolio.0, l.pending, l.scheduled];
    assert_eq!(sorted(all.clone()), sorted(expected), "no host job");
    let two = queue::list(&pool, &aegis_jobs::Queues::default(), None, None, 2)
        .await
        .unwrap();
    let two: Vec<_> = two.into_iter().map(|j| j.id).collect();
    assert_eq!(two, all[..2]);
}

#[sqlx::test(migrations = false)]
async fn list_filters_by_state_and_kind(pool: PgPool) {
    migrated(&pool).await;
    let l = listed_jobs(&pool).await;
    let (project, portfolio) = (l.dead_project.0, l.dead_portfolio.0);
    let dead = sorted(listed(&pool, Some(JobState::Dead), None).await);
    assert_eq!(dead, sorted(vec![project.clone(), portfolio.clone()]));
    let dead_projects = listed(&pool, Some(JobState::Dead), Some("sync-project-tasks")).await;
    assert_eq!(dead_projects, [project]);
    assert_eq!(listed(&pool, None, Some(SYNC_PORTFOLIO)).await, [portfolio]);
    assert_eq!(
        listed(&pool, Some(JobState::Pending), None).await,
        [l.pending]
    );
    let scheduled = listed(&pool, Some(JobState::Scheduled), None).await;
    assert_eq!(scheduled, [l.scheduled]);
    assert!(
        listed(&pool, Some(JobState::Running), None)
            .await
            .is_empty()
    );
    let err = queue::list(
        &pool,
        &aegis_jobs::Queues::default(),
        None,
        Some("emails"),
        10,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, Error::UnknownKind(ref k) if k == "emails"),
        "{err}"
    );
}

#[sqlx::test(migrations = false)]
async fn list_summarises_payloads_and_last_errors(pool: PgPool) {
    migrated(&pool).await;
    let l = listed_jobs(&pool).await;
    let dead = queue::list(
        &pool,
        &aegis_jobs::Queues::default(),
        Some(JobState::Dead),
        None,
        10,
    )
    .await
    .unwrap();
    let d = dead
        .iter()
        .find(|j| j.id == l.dead_project.0)
        .expect("listed");
    assert_eq!(
        (d.kind.as_str(), d.state),
        (SYNC_PROJECT_TASKS, JobState::Dead)
    );
    assert_eq!((d.attempts, d.max_attempts), (8, 8));
    assert_eq!(d.payload.run, Some(l.dead_project.1.run));
    assert_eq!(d.payload.project.as_deref(), Some("42"));
    assert_eq!(d.last_error.as_deref(), Some("HTTP 500 from Asana"));
    assert!(d.done_at.is_some());
    let p = dead
        .iter()
        .find(|j| j.id == l.dead_portfolio.0)
        .expect("listed");
    assert_eq!(p.payload.run, Some(l.dead_portfolio.1.run));
    assert_eq!(p.payload.portfolio.as_deref(), Some("900"));
    assert_eq!(p.payload.project, None);
    assert_eq!(p.last_error.as_deref(), Some("HTTP 404: project not found"));
    let json = serde_json::to_value(p).unwrap();
    assert_eq!(
        (&json["state"], &json["portfolio"]),
        (&json!("dead"), &json!("900"))
    );
}

#[sqlx::test(migrations = false)]
async fn show_reports_payload_attempts_next_run_worker_and_last_error(pool: PgPool) {
    migrated(&pool).await;
    worker(&pool, "w1", SYNC_PROJECT_TASKS, 0.0).await;
    let (id, job) = project_job(&pool, "42").await;
    put(&pool, &id, Row::retrying().locked_by("w1")).await;

    let d = queue::show(&pool, &aegis_jobs::Queues::default(), &id)
        .await
        .unwrap()
        .expect("the job");
    assert_eq!(
        (d.id.as_str(), d.kind.as_str()),
        (id.as_str(), SYNC_PROJECT_TASKS)
    );
    assert_eq!((d.state, d.status.as_str()), (JobState::Retrying, "Failed"));
    assert_eq!((d.attempts, d.max_attempts, d.priority), (1, 8, 0));
    assert_eq!(d.payload, serde_json::to_value(&job).unwrap());
    assert_eq!(d.summary.run, Some(job.run));
    assert_eq!(d.summary.project.as_deref(), Some("42"));
    let next_run = d.run_at - chrono::Utc::now();
    assert!(
        next_run > chrono::Duration::seconds(20),
        "next run in {next_run}"
    );
    assert_eq!(d.lock_by.as_deref(), Some("w1"));
    assert!(d.lock_at.is_some() && d.done_at.is_some());
    let key = format!("run:{}:project:42", job.run);
    assert_eq!(d.idempotency_key.as_deref(), Some(key.as_str()));
    assert_eq!(d.last_result, Some(json!({"Err": "HTTP 503 from Asana"})));
    assert_eq!(d.last_error.as_deref(), Some("HTTP 503 from Asana"));
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["state"], "retrying");

    let (done, _) = portfolio_job(&pool).await;
    put(&pool, &done, Row::done(0.0)).await;
    let d = queue::show(&pool, &aegis_jobs::Queues::default(), &done)
        .await
        .unwrap()
        .expect("the job");
    assert_eq!((d.state, d.last_error), (JobState::Done, None));
    assert_eq!(d.summary.portfolio.as_deref(), Some("900"));

    assert_eq!(
        queue::show(&pool, &aegis_jobs::Queues::default(), "01NOSUCHJOB")
            .await
            .unwrap(),
        None
    );
    host_job(&pool, "host-1").await;
    assert_eq!(
        queue::show(&pool, &aegis_jobs::Queues::default(), "host-1")
            .await
            .unwrap(),
        None
    );
}

#[sqlx::test(migrations = false)]
async fn a_missing_schema_says_to_migrate(pool: PgPool) {
    let err = queue::stats(&pool, &aegis_jobs::Queues::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotMigrated), "{err}");
    assert!(err.to_string().contains("aegis migrate"), "{err}");
}
