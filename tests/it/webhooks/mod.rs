//! Asana webhooks end to end: `ensure` against the fake over real HTTP, the
//! receiver on a real loopback listener, the fake's signed deliveries,
//! heartbeats, loss and deletions, and the project jobs they enqueue.

mod flow;
mod receiver;

use std::{future::Future, sync::Arc, time::Duration};

use aegis::webhooks::{WebhookContext, WebhookKey, ensure::ensure};
use fake_asana::Config;
use sqlx::PgPool;

use crate::helpers::TestApp;

/// A test key (never a real one).
pub const KEY: &str = "8f1c0de5a3b24e6f9d7c1b0a2e4f6a8c9b7d5e3f1a2c4e6b8d0f2a4c6e8b0d2f";

/// A synced portfolio, the receiver serving on loopback, and the webhook
/// side's context.
pub struct Hooks {
    pub app: TestApp,
    pub ctx: WebhookContext,
    pub public_url: reqwest::Url,
    pub http: reqwest::Client,
}

impl Hooks {
    /// Syncs the fake's portfolio in full and starts the receiver.
    pub async fn start(pool: PgPool) -> Hooks {
        let app = TestApp::new(pool, Config::default()).await;
        app.sync_all().await;
        let ctx = WebhookContext {
            pool: app.ctx.pool.clone(),
            queues: app.ctx.namespace.queues.clone(),
            asana: app.ctx.asana.clone(),
            portfolio: app.ctx.portfolio.clone(),
            key: Arc::new(WebhookKey::from_hex(KEY).unwrap()),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = aegis::web::hooks::router(ctx.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        let public_url = format!("http://{addr}").parse().unwrap();
        let http = http_client();
        Hooks {
            app,
            ctx,
            public_url,
            http,
        }
    }

    /// Runs `ensure`, which must succeed for every project.
    pub async fn ensure(&self) -> aegis::webhooks::EnsureReport {
        let report = ensure(&self.ctx, &self.public_url)
            .await
            .expect("ensure runs");
        assert!(!report.failed(), "{report:?}");
        report
    }

    /// The project jobs waiting in the queue, as JSON payloads.
    pub async fn pending_project_jobs(&self) -> Vec<serde_json::Value> {
        sqlx::query_scalar(
            "select convert_from(job, 'UTF8')::jsonb from apalis.jobs
             where job_type = $1 and status = 'Pending' order by id",
        )
        .bind(self.ctx.queues.name(aegis_jobs::Kind::SyncProjectTasks))
        .fetch_all(&self.app.pool)
        .await
        .unwrap()
    }

    /// Asana's gid and the row id of the live webhook of `project`.
    pub async fn webhook_of(&self, project: &str) -> (String, uuid::Uuid) {
        sqlx::query_as(
            "select webhook_gid, id from webhooks where project_gid = $1 and state = 'active'",
        )
        .bind(project)
        .fetch_one(&self.app.pool)
        .await
        .unwrap()
    }

    /// A project with tasks, and two of its top-level tasks.
    pub async fn project_with_tasks(&self) -> (String, Vec<String>) {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "select p.asana_gid, t.asana_gid from tasks t join projects p on p.id = t.project_id
             where t.parent_task_id is null and t.deleted_at is null and not p.archived
             order by p.asana_gid, t.asana_gid",
        )
        .fetch_all(&self.app.pool)
        .await
        .unwrap();
        let project = rows[0].0.clone();
        let tasks = rows
            .iter()
            .filter(|r| r.0 == project)
            .map(|r| r.1.clone())
            .take(2)
            .collect();
        (project, tasks)
    }
}

/// Polls `check` until it yields, failing after a generous deadline.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// A plain-HTTP client for loopback (reqwest has no provider of its own
/// here: one crypto backend in the tree, ring).
fn http_client() -> reqwest::Client {
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("ring supports the default TLS versions")
    .with_root_certificates(rustls::RootCertStore::empty())
    .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .build()
        .expect("a reqwest client")
}
