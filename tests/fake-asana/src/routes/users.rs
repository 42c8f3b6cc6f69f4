//! Users and workspaces: `/users/{me|gid|email}`, `/workspaces`,
//! `/workspaces/{gid}`.

use axum::extract::{Extension, Path, State};

use super::{Answer, ListItem, Params, Shared, single};
use crate::{error::ApiError, gate::Caller, render};

/// `GET /users/{user}`: `me`, a gid or an email.
pub(crate) async fn user(
    State(state): Shared,
    Path(key): Path<String>,
    caller: Option<Extension<Caller>>,
    params: Params,
) -> Answer {
    let me = caller.map(|Extension(c)| c.user);
    state.read(|w| {
        let gid = w
            .find_user(&key, me.as_deref())
            .ok_or_else(|| ApiError::not_found("user", &key))?;
        let user = w
            .users
            .get(&gid)
            .ok_or_else(|| ApiError::not_found("user", &key))?;
        Ok(single(&params, |_| render::user(w, user)))
    })
}

/// `GET /workspaces`: the one workspace.
pub(crate) async fn workspaces(State(state): Shared, params: Params) -> Answer {
    state.read(|w| {
        let keys = [w.workspace.gid.clone()];
        let item = ListItem {
            compact: |_: &str| Some(render::workspace_compact(w)),
            full: |_: &str| Some(render::workspace(w)),
        };
        super::list(&state, &params, "/workspaces", &keys, item)
    })
}

/// `GET /workspaces/{gid}`.
pub(crate) async fn workspace(
    State(state): Shared,
    Path(gid): Path<String>,
    params: Params,
) -> Answer {
    state.read(|w| {
        if gid != w.workspace.gid {
            return Err(ApiError::not_found("workspace", &gid));
        }
        Ok(single(&params, |_| render::workspace(w)))
    })
}
