//! Task routes: `GET /tasks` with Asana's filter validation, `/tasks/{gid}`,
//! `/tasks/{gid}/subtasks`, `/projects/{gid}/tasks`, `/sections/{gid}/tasks`.

use axum::extract::{Extension, Path, State};

use super::{Answer, ListItem, Params, Shared, single};
use crate::{
    error::ApiError,
    gate::Caller,
    lookup::CompletedSince,
    render::{self, Form},
    server::AppState,
    world::{Gid, World},
};

fn completed_since(params: &Params) -> Result<Option<CompletedSince>, ApiError> {
    if params.get("completed_since") == Some("now") {
        return Ok(Some(CompletedSince::Now));
    }
    Ok(params.date_time("completed_since")?.map(CompletedSince::At))
}

/// Renders a page of task gids: compact, or full for `opt_fields`.
fn task_page(
    state: &AppState,
    world: &World,
    params: &Params,
    route: &str,
    keys: &[Gid],
) -> Answer {
    let item = ListItem {
        compact: |gid: &str| {
            world
                .live_task(gid)
                .map(|t| render::task_compact(t, Form::Default))
        },
        full: |gid: &str| {
            world
                .live_task(gid)
                .map(|t| render::task(world, t, Form::Full))
        },
    };
    super::list(state, params, route, keys, item)
}

/// Keeps the tasks that pass `completed_since` (and `modified_since`, `>=`).
fn filter(
    world: &World,
    keys: Vec<Gid>,
    params: &Params,
    modified: bool,
) -> Result<Vec<Gid>, ApiError> {
    let completed = completed_since(params)?;
    let since = if modified {
        params.date_time("modified_since")?
    } else {
        None
    };
    let keep = |gid: &Gid| {
        let Some(task) = world.live_task(gid) else {
            return false;
        };
        completed.is_none_or(|c| c.admits(task)) && since.is_none_or(|s| task.modified_at >= s)
    };
    Ok(keys.into_iter().filter(keep).collect())
}

/// `GET /tasks/{gid}`.
pub(crate) async fn one(State(state): Shared, Path(gid): Path<String>, params: Params) -> Answer {
    state.read(|w| {
        let task = w
            .live_task(&gid)
            .ok_or_else(|| ApiError::not_found("task", &gid))?;
        Ok(single(&params, |form| render::task(w, task, form)))
    })
}

/// `GET /tasks/{gid}/subtasks`.
pub(crate) async fn subtasks(
    State(state): Shared,
    Path(gid): Path<String>,
    params: Params,
) -> Answer {
    state.read(|w| {
        let parent = w
            .live_task(&gid)
            .ok_or_else(|| ApiError::not_found("task", &gid))?;
        task_page(
            &state,
            w,
            &params,
            &format!("/tasks/{gid}/subtasks"),
            &w.subtask_gids(parent),
        )
    })
}

/// `GET /projects/{gid}/tasks` (`completed_since`, including `now`).
pub(crate) async fn for_project(
    State(state): Shared,
    Path(gid): Path<String>,
    params: Params,
) -> Answer {
    state.read(|w| {
        let project = w
            .live_project(&gid)
            .ok_or_else(|| ApiError::not_found("project", &gid))?;
        let keys = filter(w, w.project_task_gids(project), &params, false)?;
        task_page(&state, w, &params, &format!("/projects/{gid}/tasks"), &keys)
    })
}

/// `GET /sections/{gid}/tasks` (`completed_since`).
pub(crate) async fn for_section(
    State(state): Shared,
    Path(gid): Path<String>,
    params: Params,
) -> Answer {
    state.read(|w| {
        (w.live_section(&gid)).ok_or_else(|| ApiError::not_found("section", &gid))?;
        let keys = filter(w, w.section_task_gids(&gid), &params, false)?;
        task_page(&state, w, &params, &format!("/sections/{gid}/tasks"), &keys)
    })
}

/// The tasks `GET /tasks` selects before its filters: by project, section,
/// or assignee + workspace; anything else is Asana's 400.
fn select(world: &World, params: &Params, me: Option<&str>) -> Result<Vec<Gid>, ApiError> {
    if let Some(gid) = params.get("project") {
        let project = world
            .live_project(gid)
            .ok_or_else(|| ApiError::not_found("project", gid))?;
        return Ok(world.project_task_gids(project));
    }
    if let Some(gid) = params.get("section") {
        let section = world
            .sections
            .get(gid)
            .filter(|s| world.live_project(&s.project).is_some());
        section.ok_or_else(|| ApiError::not_found("section", gid))?;
        return Ok(world.section_task_gids(gid));
    }
    match (params.get("assignee"), params.get("workspace")) {
        (Some(assignee), Some(workspace)) => {
            if workspace != world.workspace.gid {
                return Err(ApiError::not_found("workspace", workspace));
            }
            let user = world
                .find_user(assignee, me)
                .ok_or_else(|| ApiError::not_found("user", assignee))?;
            Ok(world.assigned_task_gids(&user))
        }
        (None, Some(_)) => Err(ApiError::bad_request("assignee: Missing input")),
        _ => Err(ApiError::bad_request("workspace: Missing input")),
    }
}

/// `GET /tasks` with `project` | `section` | `assignee`+`workspace`, and
/// `completed_since`, `modified_since` (inclusive).
pub(crate) async fn list(
    State(state): Shared,
    caller: Option<Extension<Caller>>,
    params: Params,
) -> Answer {
    let me = caller.map(|Extension(c)| c.user);
    state.read(|w| {
        let keys = filter(w, select(w, &params, me.as_deref())?, &params, true)?;
        task_page(&state, w, &params, "/tasks", &keys)
    })
}
