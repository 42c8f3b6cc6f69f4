//! Project and section routes: `/projects`, `/projects/{gid}`,
//! `/projects/{gid}/sections`, `/sections/{gid}`.

use axum::extract::{Path, State};

use super::{Answer, ListItem, Params, Shared, single};
use crate::{
    error::ApiError,
    render::{self, Form},
    world::Gid,
};

/// `GET /projects/{gid}` (archived projects too; trashed ones are 404).
pub(crate) async fn one(State(state): Shared, Path(gid): Path<String>, params: Params) -> Answer {
    state.read(|w| {
        let project = w
            .live_project(&gid)
            .ok_or_else(|| ApiError::not_found("project", &gid))?;
        Ok(single(&params, |form| render::project(w, project, form)))
    })
}

/// `GET /projects?workspace=&archived=`: live projects in gid order.
pub(crate) async fn list(State(state): Shared, params: Params) -> Answer {
    state.read(|w| {
        if let Some(ws) = params.get("workspace").filter(|ws| *ws != w.workspace.gid) {
            return Err(ApiError::not_found("workspace", ws));
        }
        let archived = params.get("archived").map(|a| a == "true");
        let keep =
            |p: &&crate::world::Project| !p.deleted && archived.is_none_or(|a| p.archived == a);
        let keys: Vec<Gid> = w
            .projects
            .values()
            .filter(keep)
            .map(|p| p.gid.clone())
            .collect();
        let item = ListItem {
            compact: |gid: &str| {
                w.live_project(gid)
                    .map(|p| render::named(&p.gid, "project", &p.name))
            },
            full: |gid: &str| {
                w.live_project(gid)
                    .map(|p| render::project(w, p, Form::Full))
            },
        };
        super::list(&state, &params, "/projects", &keys, item)
    })
}

/// `GET /projects/{gid}/sections`, in the project's order.
pub(crate) async fn sections(
    State(state): Shared,
    Path(gid): Path<String>,
    params: Params,
) -> Answer {
    state.read(|w| {
        let project = w
            .live_project(&gid)
            .ok_or_else(|| ApiError::not_found("project", &gid))?;
        let item = ListItem {
            compact: |gid: &str| {
                w.sections
                    .get(gid)
                    .map(|s| render::named(&s.gid, "section", &s.name))
            },
            full: |gid: &str| w.sections.get(gid).map(|s| render::section(w, s)),
        };
        super::list(
            &state,
            &params,
            &format!("/projects/{gid}/sections"),
            &project.sections,
            item,
        )
    })
}

/// `GET /sections/{gid}`.
pub(crate) async fn section(
    State(state): Shared,
    Path(gid): Path<String>,
    params: Params,
) -> Answer {
    state.read(|w| {
        let section = w.live_section(&gid);
        let section = section.ok_or_else(|| ApiError::not_found("section", &gid))?;
        Ok(single(&params, |_| render::section(w, section)))
    })
}
