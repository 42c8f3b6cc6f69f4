//! `ensure`: one webhook per active project of the portfolio (as stored by
//! the last portfolio sync). Each live row is compared with Asana's record:
//! a webhook Asana no longer has, or reports failing (inactive, or its last
//! failure newer than its last success), is deleted and created again; one
//! whose project left the portfolio (or was archived) is deleted; a project
//! without one gets one. Asana's webhooks with this setup's target prefix
//! that no row knows (a create whose answer was lost) are deleted.
//!
//! Creating a webhook makes Asana handshake with the target while the
//! request is open, so the receiver must already serve (`aegis serve` runs
//! `ensure` beside it).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use sqlx::PgPool;
use tracing::{info, instrument, warn};
use uuid::Uuid;

use super::{Error, State, WebhookContext, WebhookRow, store, target_prefix, target_url};
use crate::{
    asana::{AsanaClient, Gid, Webhook, WebhookFilter},
    store::projects,
};

/// What `ensure` did for one project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Action {
    /// A new webhook.
    Created {
        /// The project.
        project: String,
        /// Asana's gid of the new webhook.
        webhook: String,
    },
    /// The old webhook was gone or failing: deleted, and a new one made.
    Recreated {
        /// The project.
        project: String,
        /// Asana's gid of the new webhook.
        webhook: String,
        /// Why.
        reason: String,
    },
    /// Deleted: its project left the portfolio, or no row knew it.
    Deleted {
        /// The project.
        project: String,
        /// Why.
        reason: String,
    },
    /// Healthy: nothing to do.
    Kept {
        /// The project.
        project: String,
    },
    /// Creating or deleting failed (the others went on).
    Failed {
        /// The project.
        project: String,
        /// The error, in one line.
        error: String,
    },
}

/// Everything `ensure` did, by project.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EnsureReport {
    /// One entry per project (and per stray webhook) it looked at.
    pub actions: Vec<Action>,
}

impl EnsureReport {
    /// Whether some project's webhook could not be made or deleted.
    pub fn failed(&self) -> bool {
        self.actions
            .iter()
            .any(|a| matches!(a, Action::Failed { .. }))
    }
}

/// Makes Asana's webhooks match the portfolio's active projects, with
/// targets under `public_url`.
///
/// # Errors
/// The database's; listing Asana's webhooks. A failure for one project is
/// in the report, not an error.
#[instrument(skip_all, fields(portfolio.gid = %ctx.portfolio))]
pub async fn ensure(
    ctx: &WebhookContext,
    public_url: &reqwest::Url,
) -> Result<EnsureReport, Error> {
    let active = active_projects(ctx).await?;
    let prefix = target_prefix(public_url);
    let at_asana = asana_webhooks(ctx, &prefix).await?;
    let mut report = EnsureReport::default();
    let mut covered = BTreeSet::new();
    for row in store::live(&ctx.pool).await? {
        let seen = row.webhook_gid.as_deref().and_then(|g| at_asana.get(g));
        let project = row.project_gid.clone();
        match judge(&row, seen, active.contains(&project)) {
            Verdict::Keep => {
                if let Some(seen) = seen {
                    store::record_check(&ctx.pool, row.id, seen).await?;
                }
                covered.insert(project.clone());
                report.actions.push(Action::Kept { project });
            }
            Verdict::Drop(reason) => {
                let action = retire((&ctx.pool, &ctx.asana), &row, seen.is_some(), reason).await?;
                if matches!(action, Action::Failed { .. }) {
                    covered.insert(project);
                }
                report.actions.push(action);
            }
            Verdict::Renew(reason) => {
                let retired = retire((&ctx.pool, &ctx.asana), &row, seen.is_some(), reason).await?;
                covered.insert(project.clone());
                let action = match retired {
                    Action::Deleted { .. } => {
                        create(ctx, public_url, &project, Some(reason)).await?
                    }
                    failed => failed,
                };
                report.actions.push(action);
            }
        }
    }
    for project in active.difference(&covered) {
        report
            .actions
            .push(create(ctx, public_url, project, None).await?);
    }
    // A webhook is this setup's when its target names a live row (a
    // concurrent `ensure` may not have recorded Asana's gid yet).
    let known: BTreeSet<String> = store::live(&ctx.pool)
        .await?
        .iter()
        .map(|r| r.target.clone())
        .collect();
    let stray = |w: &&Webhook| w.target.as_ref().is_none_or(|t| !known.contains(t));
    for stray in at_asana.values().filter(stray) {
        report.actions.push(delete_stray(ctx, stray).await);
    }
    info!(actions = report.actions.len(), "webhooks ensured");
    Ok(report)
}

enum Verdict {
    Keep,
    Drop(&'static str),
    Renew(&'static str),
}

fn judge(row: &WebhookRow, seen: Option<&Webhook>, active: bool) -> Verdict {
    let stale = chrono::Duration::from_std(super::HANDSHAKE_WINDOW).unwrap_or_default();
    if !active {
        return Verdict::Drop("its project left the portfolio or was archived");
    }
    match (row.state, seen) {
        (State::Establishing, _) if row.created_at + stale > chrono::Utc::now() => Verdict::Keep,
        (State::Establishing, _) => Verdict::Renew("its establishment never completed"),
        (_, None) => Verdict::Renew("Asana no longer has it"),
        (_, Some(seen)) if seen.is_failing() => {
            Verdict::Renew("Asana reports its deliveries failing")
        }
        _ => Verdict::Keep,
    }
}

/// The gids of the portfolio's projects that are neither archived nor gone.
async fn active_projects(ctx: &WebhookContext) -> Result<BTreeSet<String>, Error> {
    let all = projects::of_portfolio(&ctx.pool, ctx.portfolio.as_str()).await?;
    Ok(all
        .into_iter()
        .filter(|p| !p.archived && p.removed_from_portfolio_at.is_none())
        .map(|p| p.asana_gid)
        .collect())
}

/// Asana's webhooks of the token with this setup's target prefix, by gid.
async fn asana_webhooks(
    ctx: &WebhookContext,
    prefix: &str,
) -> Result<BTreeMap<String, Webhook>, Error> {
    let mut found = BTreeMap::new();
    for workspace in store::workspaces_of(&ctx.pool, ctx.portfolio.as_str()).await? {
        let Ok(workspace) = Gid::parse(&workspace) else {
            continue;
        };
        for hook in ctx.asana.list_webhooks(&workspace, None).await? {
            if hook
                .target
                .as_deref()
                .is_some_and(|t| t.starts_with(prefix))
            {
                found.insert(hook.gid.to_string(), hook);
            }
        }
    }
    Ok(found)
}

/// Deletes aegis's webhooks: the live one of `project` (a gid), or every
/// live one; each at Asana, then its row marked deleted.
///
/// # Errors
/// The database's; a failure at Asana is in the report.
pub async fn delete(
    pool: &PgPool,
    asana: &AsanaClient,
    project: Option<&str>,
) -> Result<EnsureReport, Error> {
    let mut report = EnsureReport::default();
    for row in store::live(pool).await? {
        if project.is_some_and(|p| p != row.project_gid) {
            continue;
        }
        let on_asana = row.webhook_gid.is_some();
        let action = retire((pool, asana), &row, on_asana, "asked for").await?;
        report.actions.push(action);
    }
    Ok(report)
}

/// Deletes the row's webhook at Asana (if Asana has it) and marks the row
/// deleted.
async fn retire(
    (pool, asana): (&PgPool, &AsanaClient),
    row: &WebhookRow,
    on_asana: bool,
    reason: &str,
) -> Result<Action, Error> {
    let gid = row.webhook_gid.as_deref().and_then(|g| Gid::parse(g).ok());
    if let (Some(gid), true) = (gid, on_asana)
        && let Err(e) = asana.delete_webhook(&gid).await
    {
        warn!(project.gid = %row.project_gid, error.message = %e, "deleting a webhook failed");
        return Ok(Action::Failed {
            project: row.project_gid.clone(),
            error: e.to_string(),
        });
    }
    store::set_state(pool, row.id, State::Deleted).await?;
    Ok(Action::Deleted {
        project: row.project_gid.clone(),
        reason: reason.to_owned(),
    })
}

/// Establishes a webhook for `project`: the row first (so the receiver
/// accepts the handshake), then Asana's create, which handshakes.
async fn create(
    ctx: &WebhookContext,
    public_url: &reqwest::Url,
    project: &str,
    renewed: Option<&str>,
) -> Result<Action, Error> {
    let id = Uuid::new_v4();
    let target = target_url(public_url, id);
    store::insert_establishing(&ctx.pool, id, project, &target).await?;
    let created = match Gid::parse(project) {
        Ok(gid) => ctx
            .asana
            .create_webhook(&gid, &target, &WebhookFilter::tasks())
            .await
            .map_err(Error::from),
        Err(e) => Err(Error::Usage(e.to_string())),
    };
    let hook = match created {
        Ok(hook) => hook,
        Err(e) => {
            warn!(project.gid = %project, error.message = %e, "creating a webhook failed");
            store::set_state(&ctx.pool, id, State::Deleted).await?;
            return Ok(Action::Failed {
                project: project.to_owned(),
                error: e.to_string(),
            });
        }
    };
    store::set_webhook_gid(&ctx.pool, id, hook.gid.as_str()).await?;
    store::record_check(&ctx.pool, id, &hook).await?;
    let (project, webhook) = (project.to_owned(), hook.gid.to_string());
    Ok(match renewed {
        None => Action::Created { project, webhook },
        Some(reason) => Action::Recreated {
            project,
            webhook,
            reason: reason.to_owned(),
        },
    })
}

async fn delete_stray(ctx: &WebhookContext, stray: &Webhook) -> Action {
    let project = stray
        .resource
        .as_ref()
        .map(|r| r.gid.to_string())
        .unwrap_or_default();
    match ctx.asana.delete_webhook(&stray.gid).await {
        Ok(()) => Action::Deleted {
            project,
            reason: format!("no row knows webhook {}", stray.gid),
        },
        Err(e) => Action::Failed {
            project,
            error: e.to_string(),
        },
    }
}
