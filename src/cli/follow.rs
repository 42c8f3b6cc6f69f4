//! Watching a run until it ends: `aegis enqueue sync --wait` (the run's
//! end only, through [`runs::wait`]) and `aegis runs ID --follow` (a line
//! per project whenever its state or figures change). Both wake on the
//! run's end at once ([`runs::FinishedRuns`], LISTEN/NOTIFY) and print the
//! run's summary, and both exit as the run ended (0 done, 1 otherwise).

use std::{collections::HashMap, time::Duration};

use anyhow::Context as _;
use sqlx::PgPool;
use uuid::Uuid;

use super::{out::outln, summary};
use crate::runs::{self, FinishedRuns, ProjectResult};

/// How often `--follow` reads the run's projects while it is open.
const FOLLOW_TICK: Duration = Duration::from_millis(500);

/// Waits for the run to end (at most `timeout`), prints its summary and
/// returns how it ended.
///
/// # Errors
/// The run did not end in time, or ended other than `done`; the database's.
pub(super) async fn wait(
    pool: &PgPool,
    run: Uuid,
    timeout: Option<Duration>,
    json: bool,
) -> anyhow::Result<()> {
    let limit = timeout.unwrap_or(Duration::from_secs(u32::MAX.into()));
    let ended = runs::wait(pool, run, limit)
        .await
        .with_context(|| format!("waiting for run {run} failed"))?;
    let detail = summary::read(pool, ended.id).await?;
    summary::print(&detail, json)?;
    summary::outcome(&detail.run)
}

/// Prints a line per project change of the run until it ends (on stderr
/// with `--json`, whose stdout is the final summary object), then its
/// summary; returns how it ended.
///
/// # Errors
/// The run ended other than `done`; the database's.
pub(super) async fn follow(pool: &PgPool, run: Uuid, json: bool) -> anyhow::Result<()> {
    let mut finished = FinishedRuns::listen(pool)
        .await
        .context("listening for the run's end failed")?;
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut last_status = None;
    loop {
        // Read after listening: an end committed in between is seen here.
        let detail = summary::read(pool, run).await?;
        if last_status != Some(detail.run.status) {
            last_status = Some(detail.run.status);
            let progress = detail.run.progress.describe();
            say(
                json,
                &format!("run {run} {} ({progress})", detail.run.status),
            )?;
        }
        for project in &detail.projects {
            let line = project_line(project);
            if seen.get(&project.project_gid) != Some(&line) {
                say(json, &line)?;
                seen.insert(project.project_gid.clone(), line);
            }
        }
        if detail.run.status.is_finished() {
            summary::print(&detail, json)?;
            return summary::outcome(&detail.run);
        }
        tokio::select! {
            heard = finished.next() => {
                if let Err(e) = heard {
                    // The listener reconnects by itself; meanwhile read at
                    // the tick's pace, not in a loop.
                    tracing::debug!(error.message = %e, "listening for run ends failed");
                    tokio::time::sleep(FOLLOW_TICK).await;
                }
            }
            () = tokio::time::sleep(FOLLOW_TICK) => {}
        }
    }
}

/// `Platform: running (attempt 1), 3 pages, 250 created, 0 updated, …`.
fn project_line(p: &ProjectResult) -> String {
    let t = &p.tasks;
    let mode = p
        .mode
        .as_deref()
        .map(|m| format!(", {m}"))
        .unwrap_or_default();
    let mut line = format!(
        "{}: {} (attempt {}{mode}), {} pages, {} created, {} updated, {} unchanged, {} removed, \
         {} deleted",
        p.project_name,
        p.status,
        p.attempts,
        p.requests.pages,
        t.tasks_created,
        t.tasks_updated,
        t.tasks_unchanged,
        t.tasks_removed,
        t.tasks_deleted
    );
    if let Some(error) = &p.error {
        line.push_str(&format!("; error: {}", super::one_line(error)));
    }
    line
}

fn say(to_stderr: bool, line: &str) -> anyhow::Result<()> {
    if to_stderr {
        eprintln!("{line}");
    } else {
        outln!("{line}")?;
    }
    Ok(())
}
