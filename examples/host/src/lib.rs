//! A host service that embeds aegis, as the README's "Embedding" section
//! shows: its own `SendEmail` job and its own migrations (with a `tasks`
//! table of its own) next to aegis's, one apalis `Monitor`, one database.
//! [`run`] does what the host does on a working day: migrate (in either
//! order), build aegis, register both, enqueue a sync inside its own
//! transaction (a rolled-back one enqueues nothing), wait for the run, read
//! the synced tasks, and shut down gracefully. `tests/host.rs` runs it
//! against the fake Asana and a real PostgreSQL in `just test`.

use std::time::Duration;

use aegis::{
    Aegis,
    jobs::{Mode, Scope},
};
use anyhow::{Context, ensure};
use apalis::prelude::{Data, Monitor, TaskSink, WorkerBuilder};
use apalis_postgres::{Config, PostgresStorage};
use sqlx::PgPool;

/// The host's own job.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SendEmail {
    /// The `emails` row to send.
    pub email: i64,
}

async fn send_email(job: SendEmail, pool: Data<PgPool>) -> Result<(), sqlx::Error> {
    sqlx::query("update emails set sent_at = now() where id = $1")
        .bind(job.email)
        .execute(&*pool)
        .await?;
    Ok(())
}

/// Where Asana is, for this host.
#[derive(Debug, Clone)]
pub struct Asana {
    /// A personal access token.
    pub token: String,
    /// The portfolio to keep a copy of.
    pub portfolio: String,
    /// The API root (the fake's in tests).
    pub base_url: String,
    /// The token's budget per minute, shared by every process of it.
    pub requests_per_minute: u32,
}

/// Which migrations run first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// The host's, then aegis's.
    HostFirst,
    /// aegis's, then the host's.
    AegisFirst,
}

/// What a day of the host came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The run's final status (`done`).
    pub status: String,
    /// Tasks in aegis's copy.
    pub synced_tasks: i64,
    /// The host's own tasks (untouched by aegis).
    pub host_tasks: i64,
    /// Emails the host's job sent.
    pub emails_sent: i64,
}

/// Runs both migrators in `order` (each is idempotent, so a restart runs
/// them again: call this as often as the host starts).
pub async fn migrate(pool: &PgPool, aegis: &Aegis, order: Order) -> anyhow::Result<()> {
    let host = sqlx::migrate!();
    if order == Order::HostFirst {
        host.run(pool).await.context("host migrations")?;
    }
    aegis.migrate().await.context("aegis migrations")?;
    if order == Order::AegisFirst {
        host.run(pool).await.context("host migrations")?;
    }
    Ok(())
}

/// One working day of the host; see the module docs.
pub async fn run(pool: &PgPool, asana: &Asana, order: Order) -> anyhow::Result<Report> {
    let aegis = Aegis::builder(pool, &asana.token, &asana.portfolio)
        .base_url(&asana.base_url)
        .requests_per_minute(asana.requests_per_minute)
        .build()?;
    migrate(pool, &aegis, order).await?;

    let mut emails = PostgresStorage::<SendEmail>::new(pool)
        .with_config(Config::default().queue("host.send-email"));
    let mailer = emails.clone();
    let (db, restart) = (pool.clone(), aegis.restart_policy());
    let monitor = aegis
        .register(Monitor::new())?
        .register(move |_| {
            WorkerBuilder::new("host-mailer")
                .backend(mailer.clone())
                .data(db.clone())
                .build(send_email)
        })
        .should_restart(move |w, e| restart(w, e).unwrap_or(w.restarts() < 3));

    // A change of mind: the rollback takes the enqueued sync with it.
    let mut tx = pool.begin().await?;
    let dropped = aegis
        .enqueue_sync(&mut tx, Scope::default(), Mode::Full)
        .await?;
    tx.rollback().await?;
    ensure!(
        aegis.run(dropped).await?.is_none(),
        "a rolled-back enqueue left a run"
    );

    // The host's own writes and aegis's sync commit together.
    let mut tx = pool.begin().await?;
    sqlx::query("insert into tasks (title) values ('ship it')")
        .execute(&mut *tx)
        .await?;
    let email: i64 = sqlx::query_scalar(
        "insert into emails (recipient) values ('ops@example.com') returning id",
    )
    .fetch_one(&mut *tx)
    .await?;
    let run = aegis
        .enqueue_sync(&mut tx, Scope::default(), Mode::Full)
        .await?;
    tx.commit().await?;
    emails.push(SendEmail { email }).await?;

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(monitor.run_with_signal(async move {
        let _ = stopped.await;
        Ok(())
    }));
    let finished = aegis.wait(run, Duration::from_secs(600)).await?;
    let emails_sent = wait_for_sent_email(pool).await?;
    let _ = stop.send(());
    serving.await??;

    let synced_tasks = sqlx::query_scalar("select count(*) from tasks where deleted_at is null")
        .fetch_one(aegis.pool())
        .await?;
    let host_tasks = sqlx::query_scalar("select count(*) from tasks")
        .fetch_one(pool)
        .await?;
    Ok(Report {
        status: format!("{:?}", finished.status).to_lowercase(),
        synced_tasks,
        host_tasks,
        emails_sent,
    })
}

/// The host's mailer runs beside aegis's workers: its email goes out too.
async fn wait_for_sent_email(pool: &PgPool) -> anyhow::Result<i64> {
    for _ in 0..600 {
        let sent: i64 = sqlx::query_scalar("select count(*) from emails where sent_at is not null")
            .fetch_one(pool)
            .await?;
        if sent > 0 {
            return Ok(sent);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the host's email was not sent within a minute")
}
