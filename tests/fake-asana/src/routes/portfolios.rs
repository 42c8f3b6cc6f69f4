//! Portfolio routes: `/portfolios`, `/portfolios/{gid}` and
//! `/portfolios/{gid}/items` (projects and nested portfolios, in order).

use axum::extract::{Extension, Path, State};
use serde_json::Value;

use super::{Answer, ListItem, Params, Shared, single};
use crate::{
    error::ApiError,
    gate::Caller,
    render::{self, Form},
    world::{Gid, World},
};

/// `GET /portfolios/{gid}`.
pub(crate) async fn one(State(state): Shared, Path(gid): Path<String>, params: Params) -> Answer {
    state.read(|w| {
        let portfolio = w
            .portfolios
            .get(&gid)
            .ok_or_else(|| ApiError::not_found("portfolio", &gid))?;
        Ok(single(&params, |form| {
            render::portfolio(w, portfolio, form)
        }))
    })
}

/// A portfolio item, compact: `{gid, resource_type: project|portfolio, name}`.
fn item_compact(world: &World, gid: &str) -> Option<Value> {
    if let Some(p) = world.live_project(gid) {
        return Some(render::named(&p.gid, "project", &p.name));
    }
    world
        .portfolios
        .get(gid)
        .map(|p| render::named(&p.gid, "portfolio", &p.name))
}

/// `GET /portfolios/{gid}/items`.
pub(crate) async fn items(State(state): Shared, Path(gid): Path<String>, params: Params) -> Answer {
    state.read(|w| {
        let portfolio = w
            .portfolios
            .get(&gid)
            .ok_or_else(|| ApiError::not_found("portfolio", &gid))?;
        let keys: Vec<Gid> = portfolio
            .items
            .iter()
            .filter(|i| item_compact(w, i).is_some())
            .cloned()
            .collect();
        let item = ListItem {
            compact: |gid: &str| item_compact(w, gid),
            full: |gid: &str| render::portfolio_item(w, gid, Form::Full),
        };
        super::list(
            &state,
            &params,
            &format!("/portfolios/{gid}/items"),
            &keys,
            item,
        )
    })
}

/// `GET /portfolios?workspace=&owner=`: the portfolios the owner (default:
/// the caller) owns; `workspace` is required.
pub(crate) async fn list(
    State(state): Shared,
    caller: Option<Extension<Caller>>,
    params: Params,
) -> Answer {
    let me = caller.map(|Extension(c)| c.user);
    state.read(|w| {
        let workspace = params.required("workspace")?;
        if workspace != w.workspace.gid {
            return Err(ApiError::not_found("workspace", workspace));
        }
        let owner_key = params.get("owner").unwrap_or("me");
        let owner = w
            .find_user(owner_key, me.as_deref())
            .ok_or_else(|| ApiError::not_found("user", owner_key))?;
        let keys: Vec<Gid> = w
            .portfolios
            .values()
            .filter(|p| p.owner == owner)
            .map(|p| p.gid.clone())
            .collect();
        let item = ListItem {
            compact: |gid: &str| {
                w.portfolios
                    .get(gid)
                    .map(|p| render::named(&p.gid, "portfolio", &p.name))
            },
            full: |gid: &str| {
                w.portfolios
                    .get(gid)
                    .map(|p| render::portfolio(w, p, Form::Full))
            },
        };
        super::list(&state, &params, "/portfolios", &keys, item)
    })
}
