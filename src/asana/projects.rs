//! Projects: the `Project` record aegis stores, its `opt_fields`, and
//! `GET /projects/{gid}`.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use tracing::instrument;

use super::{AsanaClient, Gid, HasGid, NamedRef, Result, Target, gid::null_as_default};

/// Every project field aegis stores, as leaves. `resource_type` lets
/// portfolio items be told apart (see [`super::PortfolioItem`]).
pub const PROJECT_FIELDS: &str = "name,resource_type,notes,archived,public,privacy_setting,\
permalink_url,workspace.name,team.name,created_at,modified_at";

/// A project as aegis stores it. Unknown fields are ignored, enums are open
/// strings, and nullable fields are `Option`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Project {
    /// The project's gid.
    pub gid: Gid,
    /// `"project"` (or `"portfolio"` for a nested portfolio item).
    #[serde(default)]
    pub resource_type: Option<String>,
    /// Name (`""` if Asana sends none).
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// Plain-text description.
    #[serde(default)]
    pub notes: Option<String>,
    /// Archived projects are stored but their tasks are not synced.
    #[serde(default, deserialize_with = "null_as_default")]
    pub archived: bool,
    /// Deprecated by Asana in favour of `privacy_setting`, still returned.
    #[serde(default)]
    pub public: Option<bool>,
    /// `public_to_workspace`, `private_to_team`, `private`, or newer values.
    #[serde(default)]
    pub privacy_setting: Option<String>,
    /// Link to the project in Asana's web app.
    #[serde(default)]
    pub permalink_url: Option<String>,
    /// The workspace, with its name.
    #[serde(default)]
    pub workspace: Option<NamedRef>,
    /// The team, with its name (organizations only).
    #[serde(default)]
    pub team: Option<NamedRef>,
    /// Creation time.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// Last change to the project itself (not its tasks).
    #[serde(default)]
    pub modified_at: Option<DateTime<Utc>>,
}

impl HasGid for Project {
    fn gid(&self) -> &Gid {
        &self.gid
    }
}

impl AsanaClient {
    /// One project (`GET /projects/{gid}`) with [`PROJECT_FIELDS`].
    ///
    /// # Errors
    /// [`Error::NotFound`](super::Error::NotFound) ("project 123 not found or
    /// not visible to this token (404)") and the chokepoint's other errors.
    #[instrument(skip_all, fields(project.gid = %gid))]
    pub async fn project(&self, gid: &Gid) -> Result<Project> {
        let query = [("opt_fields", PROJECT_FIELDS.to_owned())];
        let path = format!("/projects/{gid}");
        self.get_data(&Target::new("project", gid), &path, &query)
            .await
    }
}

#[cfg(test)]
mod tests {
    use wiremock::{
        Mock, ResponseTemplate,
        matchers::{method, path, query_param},
    };

    use super::*;
    use crate::asana::testing::{client_for, server};

    #[tokio::test]
    async fn project_asks_for_exactly_the_stored_fields() {
        let server = server().await;
        Mock::given(method("GET"))
            .and(path("/api/1.0/projects/42"))
            .and(query_param("opt_fields", PROJECT_FIELDS))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(serde_json::json!({"data": {
                    "gid": "42", "resource_type": "project", "name": "Aegis", "notes": "n",
                    "archived": false, "public": null, "privacy_setting": "brand_new_setting",
                    "permalink_url": "https://app.asana.com/1/1/project/42",
                    "workspace": {"gid": "7", "name": "Acme"}, "team": null,
                    "created_at": "2012-02-22T02:06:58.147Z", "modified_at": null,
                    "color": "dark-pink", "something_new": {"a": 1}
                }})),
            )
            .expect(1)
            .mount(&server)
            .await;
        let project = client_for(&server)
            .project(&"42".parse().unwrap())
            .await
            .unwrap();
        assert_eq!(project.name, "Aegis");
        assert_eq!(
            project.privacy_setting.as_deref(),
            Some("brand_new_setting")
        );
        assert_eq!(project.workspace.unwrap().name.as_deref(), Some("Acme"));
        assert_eq!(project.created_at.unwrap().timestamp_subsec_millis(), 147);
    }
}
