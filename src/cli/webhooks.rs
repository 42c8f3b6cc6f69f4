//! `aegis webhooks ensure|list|delete`: aegis's Asana webhooks from the
//! command line (see [`crate::webhooks`]). `ensure` needs the receiver
//! (`aegis serve`) reachable at `--public-url`, since Asana handshakes with
//! it while each create is open, and `AEGIS_WEBHOOK_KEY` to seal secrets.

use std::sync::Arc;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use comfy_table::Table;
use serde::Serialize;

use super::{
    args::{WebhooksArgs, WebhooksCommand},
    connect,
    out::outln,
    sync_context,
};
use crate::{
    asana::Gid,
    config::{AsanaSettings, ConfigError, DatabaseConfig},
    store,
    webhooks::{
        self, Action, EnsureReport, KEY_ENV, State, WebhookContext, WebhookKey, WebhookRow,
    },
};

/// Runs `aegis webhooks …`.
pub(super) async fn run(database: &DatabaseConfig, args: &WebhooksArgs) -> anyhow::Result<()> {
    match &args.command {
        WebhooksCommand::Ensure(ensure) => {
            let url = public_url(&ensure.public_url)?;
            let ctx = context(database).await?;
            let report = webhooks::ensure::ensure(&ctx, &url)
                .await
                .context("ensuring webhooks failed")?;
            print_report(&report)
        }
        WebhooksCommand::List(flag) => list(database, flag.json).await,
        WebhooksCommand::Delete(delete) => {
            let settings = AsanaSettings::from_env()?;
            let ctx = sync_context(database, &settings, settings.client_config(), 3).await?;
            let project = match &delete.project {
                Some(wanted) => Some(project_gid(&ctx.pool, wanted).await?),
                None => None,
            };
            let report =
                webhooks::ensure::delete(&ctx.pool, &ctx.asana, project.as_deref()).await?;
            print_report(&report)
        }
    }
}

/// `AEGIS_WEBHOOK_KEY` as a key.
///
/// # Errors
/// A [`ConfigError`] when it is missing or not 64 hex characters.
pub(super) fn webhook_key() -> anyhow::Result<WebhookKey> {
    match std::env::var(KEY_ENV).ok().filter(|v| !v.trim().is_empty()) {
        None => Err(ConfigError(format!(
            "{KEY_ENV} is not set (it seals the webhooks' secrets: make one with \
             `openssl rand -hex 32` and keep it for every `aegis serve`)"
        ))
        .into()),
        Some(hex) => WebhookKey::from_hex(&hex).map_err(|e| ConfigError(e.to_string()).into()),
    }
}

/// `--public-url` as a URL.
///
/// # Errors
/// A [`ConfigError`] when it is not an absolute http(s) URL.
pub(super) fn public_url(raw: &str) -> anyhow::Result<reqwest::Url> {
    let url = reqwest::Url::parse(raw)
        .ok()
        .filter(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some());
    url.ok_or_else(|| {
        ConfigError(format!(
            "--public-url {raw:?} is not an absolute URL (Asana needs a public https:// one)"
        ))
        .into()
    })
}

/// The webhook side's context: the key, the database, a client on the token's shared budget.
pub(super) async fn context(database: &DatabaseConfig) -> anyhow::Result<WebhookContext> {
    let key = webhook_key()?;
    let settings = AsanaSettings::from_env()?;
    let ctx = sync_context(database, &settings, settings.client_config(), 5).await?;
    Ok(WebhookContext {
        pool: ctx.pool,
        queues: ctx.namespace.queues,
        asana: ctx.asana,
        portfolio: ctx.portfolio,
        key: Arc::new(key),
    })
}

async fn project_gid(pool: &sqlx::PgPool, wanted: &str) -> anyhow::Result<String> {
    let projects = store::projects::list(pool).await?;
    let found = projects
        .iter()
        .find(|p| p.asana_gid == wanted || p.name == wanted);
    match found {
        Some(p) => Ok(p.asana_gid.clone()),
        None if Gid::parse(wanted).is_ok() => Ok(wanted.to_owned()),
        None => Err(ConfigError(format!(
            "no project {wanted:?} (give its gid or exact name)"
        ))
        .into()),
    }
}

/// Prints one line per action; fails (exit 1) when some action failed.
pub(super) fn print_report(report: &EnsureReport) -> anyhow::Result<()> {
    for action in &report.actions {
        let line = match action {
            Action::Created { project, webhook } => {
                format!("created   {project}  webhook {webhook}")
            }
            Action::Recreated {
                project,
                webhook,
                reason,
            } => {
                format!("recreated {project}  webhook {webhook} ({reason})")
            }
            Action::Deleted { project, reason } => format!("deleted   {project}  ({reason})"),
            Action::Kept { project } => format!("kept      {project}"),
            Action::Failed { project, error } => format!("failed    {project}  {error}"),
        };
        outln!("{line}")?;
    }
    if report.failed() {
        anyhow::bail!("some webhooks could not be made or deleted (see the lines above)");
    }
    Ok(())
}

/// One webhook of `aegis webhooks list --json`.
#[derive(Debug, Serialize)]
struct Listed {
    id: uuid::Uuid,
    project: String,
    webhook_gid: Option<String>,
    state: State,
    target: String,
    created_at: DateTime<Utc>,
    last_delivery_at: Option<DateTime<Utc>>,
    last_heartbeat_at: Option<DateTime<Utc>>,
    last_checked_at: Option<DateTime<Utc>>,
    last_success_at: Option<DateTime<Utc>>,
    last_failure_at: Option<DateTime<Utc>>,
    delivery_retry_count: Option<i32>,
    failure_deletion_timestamp: Option<DateTime<Utc>>,
}

impl From<WebhookRow> for Listed {
    fn from(row: WebhookRow) -> Self {
        Listed {
            id: row.id,
            project: row.project_gid,
            webhook_gid: row.webhook_gid,
            state: row.state,
            target: row.target,
            created_at: row.created_at,
            last_delivery_at: row.last_delivery_at,
            last_heartbeat_at: row.last_heartbeat_at,
            last_checked_at: row.last_checked_at,
            last_success_at: row.asana_last_success_at,
            last_failure_at: row.asana_last_failure_at,
            delivery_retry_count: row.asana_delivery_retry_count,
            failure_deletion_timestamp: row.asana_failure_deletion_at,
        }
    }
}

async fn list(database: &DatabaseConfig, json: bool) -> anyhow::Result<()> {
    let pool = connect(database).await?;
    let rows: Vec<Listed> = webhooks::store::live(&pool)
        .await?
        .into_iter()
        .map(Listed::from)
        .collect();
    if json {
        return super::output::print_json(&serde_json::json!({ "webhooks": rows }));
    }
    let mut table = Table::new();
    table.set_header([
        "project",
        "webhook",
        "state",
        "last delivery",
        "asana last success",
        "retries",
        "deletion at",
    ]);
    let time = |t: Option<DateTime<Utc>>| {
        t.map_or_else(
            || "-".to_owned(),
            |t| t.format("%Y-%m-%d %H:%M:%S").to_string(),
        )
    };
    for row in &rows {
        table.add_row([
            row.project.clone(),
            row.webhook_gid.clone().unwrap_or_else(|| "-".into()),
            row.state.as_str().to_owned(),
            time(row.last_delivery_at.max(row.last_heartbeat_at)),
            time(row.last_success_at),
            row.delivery_retry_count
                .map_or_else(|| "-".into(), |n| n.to_string()),
            time(row.failure_deletion_timestamp),
        ]);
    }
    outln!("{table}").map_err(Into::into)
}
