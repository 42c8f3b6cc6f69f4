//! Incremental syncs from Asana's events: which tasks of a project changed
//! since its stored sync token, fetched one by one, or a full crawl when
//! the token is missing or expired, or when more tasks changed than the
//! project's last crawl read pages (a crawl is then cheaper). The token for the next sync is always taken *before* a crawl,
//! so nothing that happens during the crawl is lost.

use std::collections::BTreeSet;

use aegis_jobs::Mode;
use tracing::{debug, info};

use super::{
    Result,
    crawled::{Crawled, in_project},
};
use crate::{
    asana::{self, AsanaClient, EventsResponse, Gid, Task},
    store::projects::ProjectState,
};

/// Without a crawl on record: above this many changed tasks, a crawl (100
/// tasks a request) is taken to be cheaper than fetching each one.
const MAX_FETCHES: usize = 100;

/// Fetching the changed tasks one by one costs one request each; a crawl
/// costs what the project's last one read. More changes than that: crawl.
fn max_fetches(project: &ProjectState) -> usize {
    project
        .crawl_pages
        .and_then(|pages| usize::try_from(pages).ok())
        .map_or(MAX_FETCHES, |pages| pages.max(1))
}

/// What a project's sync will do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Plan {
    /// Crawl every page, then store `token` (taken before the crawl).
    Crawl {
        /// The token for the next incremental sync.
        token: Option<String>,
        /// Why not the events.
        reason: &'static str,
    },
    /// Fetch these tasks, then store `token`.
    Changes {
        /// Gids of the tasks the events name.
        gids: BTreeSet<String>,
        /// The token after the last event read.
        token: String,
    },
}

/// Reads the project's events since its token (every page of them) to
/// decide between fetching the changed tasks and a crawl.
pub(crate) async fn plan(
    asana: &AsanaClient,
    project: &ProjectState,
    mode: Mode,
    gid: &Gid,
) -> Result<Plan> {
    let stored = project.events_sync_token.as_deref();
    let reason = if mode == Mode::Full {
        Some("a full sync was asked for")
    } else if project.last_full_sync_at.is_none() {
        Some("never crawled in full")
    } else if stored.is_none() {
        Some("no events token stored")
    } else {
        None
    };
    let (Some(mut token), None) = (stored.map(str::to_owned), reason) else {
        return Ok(Plan::Crawl {
            token: fresh_token(asana, gid).await?,
            reason: reason.unwrap_or("no events token stored"),
        });
    };
    let mut gids = BTreeSet::new();
    loop {
        match asana.events(gid, Some(&token)).await? {
            EventsResponse::SyncExpired { fresh_sync } => {
                info!(project.gid = %gid, "events token expired; crawling the project");
                return Ok(Plan::Crawl {
                    token: Some(fresh_sync),
                    reason: "Asana expired the events token",
                });
            }
            EventsResponse::Events(events) => {
                gids.extend(events.data.iter().filter_map(task_gid));
                token = events.sync;
                if gids.len() > max_fetches(project) {
                    info!(project.gid = %gid, changed = gids.len(), crawl_pages = max_fetches(project), "more changes than a crawl costs; crawling the project");
                    return Ok(Plan::Crawl {
                        token: Some(token),
                        reason: "more tasks changed than a crawl costs",
                    });
                }
                if !events.has_more {
                    break;
                }
            }
        }
    }
    debug!(project.gid = %gid, changed = gids.len(), "incremental sync");
    Ok(Plan::Changes { gids, token })
}

fn task_gid(event: &asana::Event) -> Option<String> {
    let resource = event.resource.as_ref()?;
    (resource.resource_type.as_deref() == Some("task")).then(|| resource.gid.to_string())
}

/// A first token for the project (Asana answers 412 with a fresh one).
async fn fresh_token(asana: &AsanaClient, gid: &Gid) -> Result<Option<String>> {
    match asana.events(gid, None).await? {
        EventsResponse::SyncExpired { fresh_sync } => Ok(Some(fresh_sync)),
        EventsResponse::Events(events) => Ok(Some(events.sync)),
    }
}

/// Fetches each changed task: 404 → tombstone; still in the project (or a
/// subtask, which lives in its parent's project) → stored; otherwise it
/// left the project.
pub(crate) async fn fetch_changes(
    asana: &AsanaClient,
    project: &ProjectState,
    gids: &BTreeSet<String>,
    crawl: &mut Crawled,
) -> Result<Vec<Task>> {
    let mut present = Vec::new();
    for gid in gids {
        let Ok(parsed) = Gid::parse(gid) else {
            continue;
        };
        match asana.task(&parsed).await {
            Err(asana::Error::NotFound { .. }) => crawl.deleted.push(gid.clone()),
            Ok(task) if belongs(&task, &project.asana_gid) => present.push(task),
            Ok(_) => crawl.removed.push(gid.clone()),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(present)
}

/// A member of the project, or a subtask (events only bubble up to the
/// project from its own task tree).
fn belongs(task: &Task, project_gid: &str) -> bool {
    task.parent.is_some() || in_project(task, project_gid)
}
