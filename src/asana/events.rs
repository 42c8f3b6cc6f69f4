//! Events: `GET /events?resource=…&sync=…`, one batch of at most 100 changes
//! to a project (or task), or a fresh sync token when the old one is missing
//! or expired (412).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use tracing::instrument;

use super::{AsanaClient, Error, Gid, NamedRef, Result, Target, gid::null_as_default};

/// One change Asana reports. The request sends no `opt_fields`: the default
/// event is already compact, and its `resource.resource_type` has no leaf in
/// the endpoint's `opt_fields` enum to ask for explicitly.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Event {
    /// `changed`, `added`, `removed`, `deleted`, `undeleted`, or newer values.
    #[serde(default, deserialize_with = "null_as_default")]
    pub action: String,
    /// The object that changed (may be a child of the subscribed resource).
    #[serde(default)]
    pub resource: Option<EventResource>,
    /// For `added`/`removed`: the container (project, section, parent task).
    #[serde(default)]
    pub parent: Option<EventResource>,
    /// For `changed`: which field.
    #[serde(default)]
    pub change: Option<Change>,
    /// Who acted; `None` for system events.
    #[serde(default)]
    pub user: Option<NamedRef>,
    /// When.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
}

/// The object an event is about.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct EventResource {
    /// Its gid.
    pub gid: Gid,
    /// `task`, `story`, `section`, `project`, …
    #[serde(default)]
    pub resource_type: Option<String>,
    /// Its name, when Asana includes it.
    #[serde(default)]
    pub name: Option<String>,
}

/// What a `changed` event changed.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Change {
    /// The field, e.g. `assignee`.
    #[serde(default)]
    pub field: Option<String>,
    /// `changed`, `added` or `removed`.
    #[serde(default)]
    pub action: Option<String>,
}

/// A batch of events and the token for the next call.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Events {
    /// Up to 100 events, oldest first.
    #[serde(default, deserialize_with = "null_as_default")]
    pub data: Vec<Event>,
    /// The token to pass next time (persist it after applying `data`).
    pub sync: String,
    /// More events wait: call again at once with `sync`.
    #[serde(default)]
    pub has_more: bool,
}

/// The answer to an events request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventsResponse {
    /// Events since the token.
    Events(Events),
    /// 412: the token was missing, invalid or expired. Store `fresh_sync`,
    /// then crawl the resource in full (changes in between are unknown).
    SyncExpired {
        /// The token to use next time.
        fresh_sync: String,
    },
}

impl AsanaClient {
    /// Events on `resource` since `sync` (`None`: get a first token, which
    /// always answers [`EventsResponse::SyncExpired`]).
    ///
    /// # Errors
    /// A 412 without a fresh token in its body, and the chokepoint's errors.
    #[instrument(skip_all, fields(asana.resource = %resource))]
    pub async fn events(&self, resource: &Gid, sync: Option<&str>) -> Result<EventsResponse> {
        let mut query = vec![("resource", resource.to_string())];
        if let Some(sync) = sync {
            query.push(("sync", sync.to_owned()));
        }
        let target = Target::new("events of", resource);
        match self.get::<Events>(&target, "/events", &query).await {
            Ok(events) => Ok(EventsResponse::Events(events)),
            Err(Error::SyncExpired {
                fresh_sync: Some(fresh_sync),
                ..
            }) => Ok(EventsResponse::SyncExpired { fresh_sync }),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use wiremock::{
        Mock, ResponseTemplate,
        matchers::{method, path, query_param, query_param_is_missing},
    };

    use super::*;
    use crate::asana::testing::{client_for, server};

    #[tokio::test]
    async fn first_call_yields_a_fresh_token_then_events() {
        let server = server().await;
        Mock::given(method("GET"))
            .and(path("/api/1.0/events"))
            .and(query_param("resource", "9"))
            .and(query_param_is_missing("sync"))
            .respond_with(ResponseTemplate::new(412).set_body_json(serde_json::json!({
                "errors": [{"message": "Sync token invalid or too old."}], "sync": "abc:0"})))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/1.0/events"))
            .and(query_param("sync", "abc:0"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "data": [{"action": "changed", "resource": {"gid": "5", "resource_type": "task"},
                          "parent": null, "change": {"field": "name", "action": "changed"},
                          "user": null, "created_at": "2024-01-01T00:00:00.000Z", "type": "task"}],
                "sync": "abc:1", "has_more": true})))
            .expect(1)
            .mount(&server)
            .await;
        let client = client_for(&server);
        let gid: Gid = "9".parse().unwrap();
        let first = client.events(&gid, None).await.unwrap();
        assert_eq!(
            first,
            EventsResponse::SyncExpired {
                fresh_sync: "abc:0".into()
            }
        );
        let EventsResponse::Events(events) = client.events(&gid, Some("abc:0")).await.unwrap()
        else {
            panic!("expected events");
        };
        assert_eq!((events.sync.as_str(), events.has_more), ("abc:1", true));
        let resource = events.data[0].resource.as_ref().unwrap();
        assert_eq!(
            (resource.gid.as_str(), resource.resource_type.as_deref()),
            ("5", Some("task"))
        );
    }
}
