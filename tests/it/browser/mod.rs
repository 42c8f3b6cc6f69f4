//! The dashboard driven in headless Chromium (through chromedriver) and
//! over plain HTTP: a database seeded by a real inline sync against the
//! fake Asana plus jobs put into each state, the dashboard's router on an
//! ephemeral loopback port, and the queue checked afterwards through the
//! library. Screenshots of each page go to `target/screenshots/`.

/// Credentials, roles and CSRF over plain HTTP, and the login form.
mod auth;
/// Every page in the browser; a retry and a cancel clicked through the UI.
mod pages;
/// The WebDriver client and the chromedriver process.
mod webdriver;

use std::path::PathBuf;

use aegis::web::dashboard::{self, DashboardAuth, DashboardState};
use fake_asana::{Config, generate::Preset};
use serde_json::json;
use sqlx::PgPool;
use tokio::task::JoinHandle;

use crate::{
    helpers::TestApp,
    queue::{Row, project_job, put},
};

/// The seeded database: synced projects and a run, and jobs by state.
pub struct Seeded {
    pub app: TestApp,
    /// Project gids, by name.
    pub gids: Vec<String>,
    /// Dead with a 404.
    pub dead_access: String,
    /// Dead with a 401.
    pub dead_token: String,
    /// Dead after its last attempt.
    pub exhausted: String,
    /// Runnable, not started.
    pub pending: String,
    /// Waiting an hour.
    pub scheduled: String,
}

/// Syncs a small portfolio inline, then enqueues project jobs and puts them
/// into each state as apalis and aegis's failure policy would have.
pub async fn seed(pool: PgPool) -> Seeded {
    let config = Config {
        preset: Preset::Custom {
            projects: 3,
            tasks_per_project: 12,
        },
        ..Config::default()
    };
    let app = TestApp::new(pool, config).await;
    app.sync_all().await;
    let gids: Vec<String> = sqlx::query_scalar("select asana_gid from projects order by name")
        .fetch_all(&app.pool)
        .await
        .expect("project gids");
    let pool = &app.pool;
    let dead_access = project_job(pool, &gids[0]).await.0;
    let gone = format!(
        "project {} not found or not visible to this token (404)",
        gids[0]
    );
    put(pool, &dead_access, Row::killed()).await;
    set_error(pool, &dead_access, &gone).await;
    let dead_token = project_job(pool, &gids[1]).await.0;
    put(pool, &dead_token, Row::killed()).await;
    set_error(
        pool,
        &dead_token,
        "Asana rejected the token (401): check ASANA_ACCESS_TOKEN",
    )
    .await;
    let exhausted = project_job(pool, &gids[2]).await.0;
    put(pool, &exhausted, Row::exhausted()).await;
    let pending = project_job(pool, &gids[1]).await.0;
    let scheduled = project_job(pool, &gids[2]).await.0;
    put(pool, &scheduled, Row::scheduled()).await;
    let done = project_job(pool, &gids[0]).await.0;
    put(pool, &done, Row::done(60.0)).await;
    crate::queue::worker(
        pool,
        "dash-host-1-projects-r0",
        aegis_jobs::queue::SYNC_PROJECT_TASKS,
        2.0,
    )
    .await;
    Seeded {
        app,
        gids,
        dead_access,
        dead_token,
        exhausted,
        pending,
        scheduled,
    }
}

async fn set_error(pool: &PgPool, id: &str, error: &str) {
    sqlx::query("update apalis.jobs set last_result = $2 where id = $1")
        .bind(id)
        .bind(sqlx::types::Json(json!({ "Err": error })))
        .execute(pool)
        .await
        .expect("last error set");
}

/// The dashboard served on an ephemeral loopback port until dropped.
pub struct Served {
    pub url: String,
    task: JoinHandle<()>,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves the dashboard over `pool` (aegis's default queues) with `auth`.
pub async fn serve(pool: &PgPool, auth: DashboardAuth) -> Served {
    let state = DashboardState::new(pool.clone(), aegis_jobs::Queues::default(), auth);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let url = format!("http://{}", listener.local_addr().expect("its address"));
    let task = tokio::spawn(async move {
        axum::serve(listener, dashboard::router(state))
            .await
            .expect("the dashboard serves");
    });
    Served { url, task }
}

/// Where a page's screenshot goes: `$CARGO_TARGET_DIR/screenshots/` (the
/// workspace's `target/` by default).
pub fn screenshot(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("screenshots").join(format!("{name}.png"))
}

/// A job's state, through the library.
pub async fn state_of(pool: &PgPool, id: &str) -> aegis::queue::JobState {
    aegis::queue::show(pool, &aegis_jobs::Queues::default(), id)
        .await
        .expect("show")
        .expect("the job exists")
        .state
}
