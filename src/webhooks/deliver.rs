//! What the receiver does with a request, apart from HTTP: accept a
//! handshake only for an establishment in progress, verify a delivery's
//! signature on its raw bytes, and turn its events into one coalesced
//! `SyncProjectTasks` naming the changed tasks, enqueued in the same
//! transaction that records the delivery. No Asana call.

use std::collections::BTreeSet;

use aegis_jobs::{Enqueued, Mode, SyncProjectTasks};
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::Deserialize;
use tracing::{debug, info, instrument};
use uuid::Uuid;

use super::{Error, HANDSHAKE_WINDOW, State, WebhookContext, secret, store};
use crate::{asana::Event, queue};

/// How a handshake ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handshake {
    /// The secret is stored (sealed) and the webhook active: echo it.
    Accepted,
    /// No such establishment: 404, nothing stored.
    Unknown,
    /// The row exists but is not an establishment in progress (already
    /// active, or too old): refused, nothing stored.
    NotEstablishing,
}

/// A delivery aegis took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivered {
    /// An empty delivery: recorded, nothing enqueued.
    Heartbeat,
    /// Events without a task among them: recorded, nothing enqueued.
    NoTasks,
    /// The project's job (new or joined) now names these tasks too.
    Enqueued {
        /// The queue id of the job.
        job: String,
        /// The tasks the delivery named.
        tasks: usize,
    },
}

/// A delivery aegis refused; nothing was recorded or enqueued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// No live webhook with this id: 404.
    Unknown,
    /// The signature is missing, or wrong for the body: 401.
    BadSignature,
    /// The verified body is not `{"events": [...]}`: 400.
    Malformed,
}

/// Accepts `secret` for the establishment `id` if aegis started it less
/// than [`HANDSHAKE_WINDOW`] ago and has no secret for it yet.
///
/// # Errors
/// The database's; sealing's.
#[instrument(skip_all, fields(webhook.id = %id))]
pub async fn handshake(
    ctx: &WebhookContext,
    id: Uuid,
    secret: &SecretString,
) -> Result<Handshake, Error> {
    let Some(project) = store::establishing(&ctx.pool, id, HANDSHAKE_WINDOW).await? else {
        return Ok(match store::get(&ctx.pool, id).await? {
            None => Handshake::Unknown,
            Some(_) => Handshake::NotEstablishing,
        });
    };
    let sealed = ctx.key.seal(&project, id, secret)?;
    if !store::accept_handshake(&ctx.pool, id, &sealed, HANDSHAKE_WINDOW).await? {
        return Ok(Handshake::NotEstablishing);
    }
    info!(project.gid = %project, "webhook handshake accepted");
    Ok(Handshake::Accepted)
}

#[derive(Deserialize)]
struct Body {
    events: Vec<Event>,
}

/// Verifies a delivery to `id` (its `X-Hook-Signature`, `signature`, on
/// the raw `body`) and takes it: a heartbeat is recorded; task events
/// enqueue (or join) the project's job with their gids, in one transaction
/// with the record of the delivery.
///
/// # Errors
/// The database's; a sealed secret that does not open (another key).
#[instrument(skip_all, fields(webhook.id = %id, body.bytes = body.len()))]
pub async fn deliver(
    ctx: &WebhookContext,
    id: Uuid,
    signature: Option<&str>,
    body: &[u8],
) -> Result<Result<Delivered, Refused>, Error> {
    let row = match store::get(&ctx.pool, id).await? {
        Some(row) if row.state != State::Deleted => row,
        _ => return Ok(Err(Refused::Unknown)),
    };
    let (Some(sealed), Some(signature)) = (row.sealed(), signature) else {
        return Ok(Err(Refused::BadSignature));
    };
    let secret = ctx.key.open(&row.project_gid, id, &sealed)?;
    if !secret::verify(&secret, body, signature) {
        return Ok(Err(Refused::BadSignature));
    }
    let Ok(Body { events }) = serde_json::from_slice::<Body>(body) else {
        return Ok(Err(Refused::Malformed));
    };
    if events.is_empty() {
        store::record_heartbeat(&ctx.pool, id).await?;
        debug!(project.gid = %row.project_gid, "webhook heartbeat");
        return Ok(Ok(Delivered::Heartbeat));
    }
    let newest = events.iter().filter_map(|e| e.created_at).max();
    let tasks = task_gids(&events);
    if tasks.is_empty() {
        store::record_delivery(&ctx.pool, id, newest).await?;
        return Ok(Ok(Delivered::NoTasks));
    }
    let job = enqueue(ctx, (id, &row.project_gid), &tasks, newest).await?;
    info!(project.gid = %row.project_gid, tasks = tasks.len(), job.id = %job, "webhook delivery enqueued");
    Ok(Ok(Delivered::Enqueued {
        job,
        tasks: tasks.len(),
    }))
}

/// The tasks the events name: each task resource, and the parent task of
/// a subtask's event.
pub fn task_gids(events: &[Event]) -> Vec<String> {
    let is_task = |r: &&crate::asana::EventResource| r.resource_type.as_deref() == Some("task");
    let mut gids = BTreeSet::new();
    for event in events {
        if let Some(resource) = event.resource.as_ref().filter(is_task) {
            gids.insert(resource.gid.to_string());
            if let Some(parent) = event.parent.as_ref().filter(is_task) {
                gids.insert(parent.gid.to_string());
            }
        }
    }
    gids.into_iter().collect()
}

/// Joins the project's queued job, or enqueues one, naming `tasks`, and
/// records the delivery: one transaction, serialised with the project's
/// other enqueuers.
async fn enqueue(
    ctx: &WebhookContext,
    (id, project): (Uuid, &str),
    tasks: &[String],
    newest: Option<DateTime<Utc>>,
) -> Result<String, Error> {
    let mut tx = ctx.pool.begin().await?;
    crate::store::locks::lock_project(&mut tx, project).await?;
    let joined =
        queue::join_queued_job(&mut tx, &ctx.queues, project, Mode::Incremental, tasks).await?;
    let job = match joined {
        Some(job) => job,
        None => {
            let mut job = SyncProjectTasks::new(Uuid::new_v4(), project, Mode::Incremental);
            job.tasks = tasks.to_vec();
            match aegis_jobs::enqueue_in(&mut tx, &ctx.queues, &job).await? {
                Enqueued::Inserted(id) => id,
                // A fresh run id: its key cannot exist already.
                Enqueued::AlreadyPresent => {
                    return Err(Error::Usage(format!(
                        "a job of a new run for project {project} exists"
                    )));
                }
            }
        }
    };
    store::record_delivery(&mut *tx, id, newest).await?;
    tx.commit().await?;
    Ok(job)
}
