//! aegis embedded in a host's process through [`aegis::Aegis`]: the host's
//! restart policy survives `register`, a too-small pool is refused with the
//! figure, runs are known at once and observed without polling SQL, an
//! enqueue rolled back with the host's transaction leaves nothing and leaves
//! the host's `search_path` alone, and two setups in two schemas of one
//! database sync two portfolios without touching each other.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use aegis::{
    Aegis, EmbedError,
    jobs::{Mode, Scope},
    runs::{RunStatus, WaitError},
    sync::{PlainObserver, SyncOptions, run_inline},
    worker::{RegisterError, WorkerConfig},
};
use apalis::prelude::{Monitor, WorkerBuilder};
use apalis_postgres::PostgresStorage;
use fake_asana::{Config, FakeAsana, generate::Preset};
use sqlx::PgPool;
use tokio::sync::Notify;

use crate::helpers::{init_test_log, worker_config};

/// Generous bound for waits on a busy machine (they end on the event).
const PATIENCE: Duration = Duration::from_secs(120);

async fn fake(seed: u64) -> FakeAsana {
    FakeAsana::spawn(Config {
        preset: Preset::Custom {
            projects: 2,
            tasks_per_project: 15,
        },
        seed,
        ..Config::default()
    })
    .await
    .expect("the fake starts")
}

fn setup(pool: &PgPool, fake: &FakeAsana, schema: &str) -> Aegis {
    let mut config = worker_config();
    config.name = format!("{}-{schema}", config.name);
    Aegis::builder(pool, fake.token.clone(), fake.portfolio_gid.clone())
        .base_url(fake.base_url.clone())
        .requests_per_minute(100_000)
        .schema(schema)
        .queue_prefix(schema)
        .worker_config(config)
        .build()
        .expect("the setup builds")
}

/// A host's own job.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct SendEmail {
    to: String,
}

#[sqlx::test(migrations = false)]
async fn a_host_monitor_keeps_its_own_restart_policy(pool: PgPool) {
    init_test_log();
    let fake = fake(1).await;
    let aegis = setup(&pool, &fake, "aegis");
    aegis.migrate().await.expect("migrates");
    // The host's worker fails at once: its storage's database is unreachable.
    let unreachable = sqlx::postgres::PgPoolOptions::new()
        .acquire_timeout(Duration::from_millis(200))
        .connect_lazy("postgres://nobody@127.0.0.1:1/none")
        .expect("lazy pool");
    let asked = Arc::new(AtomicUsize::new(0));
    let asked_by_apalis = asked.clone();
    let host_worker_failed = Arc::new(Notify::new());
    let failed = host_worker_failed.clone();
    let monitor = Monitor::new()
        .register(move |_| {
            WorkerBuilder::new("host-mailer")
                .backend(PostgresStorage::<SendEmail>::new(&unreachable))
                .build(|_: SendEmail| async {})
        })
        .should_restart(move |worker, _| {
            if worker.name() == "host-mailer" {
                asked_by_apalis.fetch_add(1, Ordering::SeqCst);
                failed.notify_one();
            }
            false
        });
    let monitor = aegis.register(monitor).expect("registers");
    let signal = async move {
        host_worker_failed.notified().await;
        Ok(())
    };
    let _ = tokio::time::timeout(PATIENCE, monitor.run_with_signal(signal))
        .await
        .expect("the host's policy was asked about its failed worker");
    assert_eq!(asked.load(Ordering::SeqCst), 1, "the host's policy decides");
}

#[sqlx::test(migrations = false)]
async fn a_pool_smaller_than_the_workers_need_is_refused_with_the_figure(pool: PgPool) {
    let fake = fake(1).await;
    let err = Aegis::builder(&pool, fake.token.clone(), fake.portfolio_gid.clone())
        .concurrency(6)
        .max_connections(8)
        .build()
        .unwrap_err();
    let needed = aegis::worker::connections_needed(&WorkerConfig {
        concurrency: 6,
        ..WorkerConfig::default()
    });
    assert!(
        matches!(err, EmbedError::Register(RegisterError::PoolTooSmall { allowed: 8, needed: n, .. }) if n == needed),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains(&format!("max_connections to {needed}")),
        "{err}"
    );
    let bad = Aegis::builder(&pool, "t", "not-a-gid").build().unwrap_err();
    assert!(bad.to_string().contains("portfolio"), "{bad}");
}

#[sqlx::test(migrations = false)]
async fn runs_are_known_at_once_waited_for_and_reported_when_they_end(pool: PgPool) {
    init_test_log();
    let fake = fake(2).await;
    let aegis = setup(&pool, &fake, "aegis");
    aegis.migrate().await.expect("migrates");
    let mut finished = aegis.finished_runs().await.expect("listens");

    let mut tx = pool.begin().await.unwrap();
    let before: String = sqlx::query_scalar("show search_path")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    let run = aegis
        .enqueue_sync(&mut tx, Scope::default(), Mode::Full)
        .await
        .unwrap();
    let after: String = sqlx::query_scalar("show search_path")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(before, after, "the host's search_path is left alone");
    tx.commit().await.unwrap();

    let queued = aegis.run(run).await.unwrap().expect("known at once");
    assert_eq!(queued.status, RunStatus::Queued);
    match aegis.wait(run, Duration::from_millis(300)).await {
        Err(WaitError::TimedOut { status, .. }) => assert_eq!(status, Some(RunStatus::Queued)),
        other => panic!("no worker runs yet, so the wait times out: {other:?}"),
    }

    let monitor = aegis.register(Monitor::new()).expect("registers");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(monitor.run_with_signal(async move {
        let _ = stopped.await;
        Ok(())
    }));
    let done = aegis.wait(run, PATIENCE).await.expect("the run ends");
    assert_eq!(done.status, RunStatus::Done);
    assert!(done.tasks.tasks_created > 0, "{done:?}");
    let reported = tokio::time::timeout(PATIENCE, finished.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reported, run, "the hook reports the run that ended");
    let _ = stop.send(());
    running.await.unwrap().unwrap();
    metrics_of_the_host_setup(&aegis, &fake).await;
}

/// The setup's series count its workers' requests and jobs, and its probes
/// router serves them where the host mounts it.
async fn metrics_of_the_host_setup(aegis: &Aegis, fake: &FakeAsana) {
    let host = axum::Router::new().nest("/aegis", aegis.probes_router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, host).await });
    assert_eq!(crate::web::get(addr, "/aegis/readyz").await.0, 200);
    let (status, text) = crate::web::get(addr, "/aegis/metrics").await;
    assert_eq!(status, 200);
    let samples = crate::web::samples(&text);
    let requests = crate::web::sum(&samples, "aegis_asana_requests_total", &[]);
    assert_eq!(requests, fake.stats().total_requests as f64, "{text}");
    let done = ["kind=\"aegis.sync-project-tasks\"", "outcome=\"done\""];
    assert_eq!(
        crate::web::sum(&samples, "aegis_job_attempts_total", &done),
        2.0
    );
}

#[sqlx::test(migrations = false)]
async fn an_enqueue_rolled_back_with_the_host_leaves_nothing(pool: PgPool) {
    let fake = fake(3).await;
    let aegis = setup(&pool, &fake, "aegis");
    aegis.migrate().await.expect("migrates");
    let mut tx = pool.begin().await.unwrap();
    let run = aegis
        .enqueue_sync(&mut tx, Scope::default(), Mode::Incremental)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert!(aegis.run(run).await.unwrap().is_none());
    let jobs: i64 = sqlx::query_scalar("select count(*) from apalis.jobs")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(jobs, 0);
}

/// `(task gid, name, completed, deleted)` rows of a setup, through its own
/// pool (whose `search_path` is its schema).
async fn tasks_in(aegis: &Aegis) -> Vec<(String, String, bool, bool)> {
    sqlx::query_as(
        "select asana_gid, name, completed, deleted_at is not null from tasks order by 1",
    )
    .fetch_all(aegis.pool())
    .await
    .expect("reads the setup's tasks")
}

#[sqlx::test(migrations = false)]
async fn two_setups_in_two_schemas_sync_two_portfolios_apart(pool: PgPool) {
    init_test_log();
    let (fake_a, fake_b) = (fake(11).await, fake(12).await);
    let a = setup(&pool, &fake_a, "team_a");
    let b = setup(&pool, &fake_b, "team_b");
    a.migrate().await.unwrap();
    b.migrate().await.unwrap();
    let monitor = b.register(a.register(Monitor::new()).unwrap()).unwrap();
    let mut tx = pool.begin().await.unwrap();
    let run_a = a
        .enqueue_sync(&mut tx, Scope::default(), Mode::Full)
        .await
        .unwrap();
    let run_b = b
        .enqueue_sync(&mut tx, Scope::default(), Mode::Full)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(monitor.run_with_signal(async move {
        let _ = stopped.await;
        Ok(())
    }));
    assert_eq!(
        a.wait(run_a, PATIENCE).await.unwrap().status,
        RunStatus::Done
    );
    assert_eq!(
        b.wait(run_b, PATIENCE).await.unwrap().status,
        RunStatus::Done
    );
    let _ = stop.send(());
    running.await.unwrap().unwrap();

    // Each setup holds exactly what a clean inline sync of its own portfolio gives.
    for (setup, fake, clean_schema) in [(&a, &fake_a, "clean_a"), (&b, &fake_b, "clean_b")] {
        let clean = self::setup(&pool, fake, clean_schema);
        clean.migrate().await.unwrap();
        let options = SyncOptions {
            mode: Mode::Full,
            ..SyncOptions::default()
        };
        run_inline(clean.context(), &options, &PlainObserver)
            .await
            .unwrap();
        let rows = tasks_in(setup).await;
        assert!(!rows.is_empty());
        assert_eq!(rows, tasks_in(&clean).await, "{clean_schema}");
    }
    // Nothing of either run landed in the other schema or in `public`.
    assert!(a.run(run_b).await.unwrap().is_none());
    assert!(b.run(run_a).await.unwrap().is_none());
    let public: Option<String> = sqlx::query_scalar("select to_regclass('public.tasks')::text")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(public, None, "no aegis table in the host's schema");
    let queues: Vec<String> =
        sqlx::query_scalar("select distinct job_type from apalis.jobs order by 1")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        queues,
        [
            "team_a.sync-portfolio",
            "team_a.sync-project-tasks",
            "team_b.sync-portfolio",
            "team_b.sync-project-tasks"
        ]
    );
}
