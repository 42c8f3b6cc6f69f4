//! Portfolios: `GET /portfolios/{gid}`, the items listing (projects and
//! nested portfolios, told apart by `resource_type`), and
//! [`AsanaClient::portfolio_projects`], which walks nested portfolios with
//! cycle protection.

use std::collections::{HashSet, VecDeque};

use futures::{Stream, StreamExt, stream::BoxStream};
use serde::Deserialize;
use tracing::{debug, instrument};

use super::{
    AsanaClient, Gid, HasGid, NamedRef, Page, Project, Result, Target, page::items,
    projects::PROJECT_FIELDS,
};

/// Fields asked for a portfolio.
pub const PORTFOLIO_FIELDS: &str = "name,workspace.name,permalink_url";

/// A portfolio.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Portfolio {
    /// The portfolio's gid.
    pub gid: Gid,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// The workspace, with its name.
    #[serde(default)]
    pub workspace: Option<NamedRef>,
    /// Link to the portfolio in Asana's web app.
    #[serde(default)]
    pub permalink_url: Option<String>,
}

/// One item of a portfolio. Items are asked for with every project field
/// ([`PROJECT_FIELDS`]), so a project item needs no second request.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(from = "Project")]
// Nearly every item is a project: boxing it would allocate for the common case.
#[allow(clippy::large_enum_variant)]
pub enum PortfolioItem {
    /// A project (`resource_type: "project"`, or none).
    Project(Project),
    /// A nested portfolio.
    Portfolio(NamedRef),
    /// A kind of item Asana may add later; skipped by the sync.
    Other {
        /// The item's gid.
        gid: Gid,
        /// Its `resource_type`.
        resource_type: String,
    },
}

impl From<Project> for PortfolioItem {
    fn from(item: Project) -> Self {
        match item.resource_type.as_deref() {
            None | Some("project") => Self::Project(item),
            Some("portfolio") => Self::Portfolio(NamedRef {
                gid: item.gid,
                name: Some(item.name),
            }),
            Some(other) => Self::Other {
                resource_type: other.to_owned(),
                gid: item.gid,
            },
        }
    }
}

impl HasGid for PortfolioItem {
    fn gid(&self) -> &Gid {
        match self {
            Self::Project(p) => &p.gid,
            Self::Portfolio(r) => &r.gid,
            Self::Other { gid, .. } => gid,
        }
    }
}

/// A project found under a portfolio, with the portfolio that holds it
/// directly (the root or a nested one).
#[derive(Clone, Debug, PartialEq)]
pub struct PortfolioProject {
    /// The portfolio whose items list the project.
    pub portfolio: Gid,
    /// The project.
    pub project: Project,
}

impl AsanaClient {
    /// One portfolio (`GET /portfolios/{gid}`).
    ///
    /// # Errors
    /// [`Error::NotFound`](super::Error::NotFound): "portfolio 123 not found or
    /// not visible to this token (404)"; the chokepoint's other errors.
    #[instrument(skip_all, fields(portfolio.gid = %gid))]
    pub async fn portfolio(&self, gid: &Gid) -> Result<Portfolio> {
        let query = [("opt_fields", PORTFOLIO_FIELDS.to_owned())];
        let path = format!("/portfolios/{gid}");
        self.get_data(&Target::new("portfolio", gid), &path, &query)
            .await
    }

    /// Pages of a portfolio's items (`GET /portfolios/{gid}/items`).
    pub fn portfolio_items(
        &self,
        gid: &Gid,
    ) -> impl Stream<Item = Result<Page<PortfolioItem>>> + Send + 'static {
        let query = vec![("opt_fields", PROJECT_FIELDS.to_owned())];
        self.pages(
            Target::new("portfolio", gid),
            format!("/portfolios/{gid}/items"),
            query,
        )
    }

    /// Every project under a portfolio, following nested portfolios
    /// breadth-first. A portfolio is listed once even if it is nested in
    /// several places or in itself (cycles), and a project once even if
    /// several portfolios hold it (the first holder wins).
    pub fn portfolio_projects(
        &self,
        gid: &Gid,
    ) -> impl Stream<Item = Result<PortfolioProject>> + Send + 'static {
        let walk = Walk {
            client: self.clone(),
            pending: VecDeque::from([gid.clone()]),
            visited: HashSet::from([gid.clone()]),
            projects: HashSet::new(),
            current: None,
        };
        futures::stream::try_unfold(walk, |mut walk| async move {
            let next = walk.next_project().await?;
            Ok(next.map(|project| (project, walk)))
        })
    }
}

/// The state of a walk through nested portfolios.
struct Walk {
    client: AsanaClient,
    pending: VecDeque<Gid>,
    visited: HashSet<Gid>,
    projects: HashSet<Gid>,
    current: Option<(Gid, BoxStream<'static, Result<PortfolioItem>>)>,
}

impl Walk {
    async fn next_project(&mut self) -> Result<Option<PortfolioProject>> {
        loop {
            let Some((portfolio, listing)) = &mut self.current else {
                let Some(next) = self.pending.pop_front() else {
                    return Ok(None);
                };
                let listing = items(self.client.portfolio_items(&next)).boxed();
                self.current = Some((next, listing));
                continue;
            };
            let portfolio = portfolio.clone();
            match listing.next().await.transpose()? {
                None => self.current = None,
                Some(PortfolioItem::Project(project)) => {
                    if self.projects.insert(project.gid.clone()) {
                        return Ok(Some(PortfolioProject { portfolio, project }));
                    }
                }
                Some(PortfolioItem::Portfolio(nested)) => {
                    if self.visited.insert(nested.gid.clone()) {
                        self.pending.push_back(nested.gid);
                    }
                }
                Some(PortfolioItem::Other { gid, resource_type }) => {
                    debug!(portfolio.gid = %portfolio, item.gid = %gid, item.resource_type = resource_type, "skipping portfolio item");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use futures::TryStreamExt;
    use serde_json::json;
    use wiremock::{
        Mock, MockServer, ResponseTemplate,
        matchers::{method, path, query_param},
    };

    use super::*;
    use crate::asana::testing::{client_for, server};

    fn gid(raw: &str) -> Gid {
        raw.parse().unwrap()
    }

    async fn mount_items(server: &MockServer, portfolio: &str, items: serde_json::Value) {
        Mock::given(method("GET"))
            .and(path(format!("/api/1.0/portfolios/{portfolio}/items")))
            .and(query_param("limit", "100"))
            .and(query_param("opt_fields", PROJECT_FIELDS))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({"data": items, "next_page": null})),
            )
            .expect(1)
            .mount(server)
            .await;
    }

    #[tokio::test]
    async fn items_are_typed_by_resource_type() {
        let server = server().await;
        let items = json!([
            {"gid": "1", "resource_type": "project", "name": "P", "archived": true},
            {"gid": "2", "resource_type": "portfolio", "name": "Nested"},
            {"gid": "3", "resource_type": "goal", "name": "G"}]);
        mount_items(&server, "10", items).await;
        let client = client_for(&server);
        let items: Vec<PortfolioItem> = super::items(client.portfolio_items(&gid("10")))
            .try_collect()
            .await
            .unwrap();
        assert!(matches!(&items[0], PortfolioItem::Project(p) if p.archived && p.name == "P"));
        assert!(matches!(&items[1], PortfolioItem::Portfolio(r) if r.gid.as_str() == "2"));
        assert!(
            matches!(&items[2], PortfolioItem::Other { resource_type, .. } if resource_type == "goal")
        );
    }

    #[tokio::test]
    async fn nested_portfolios_are_followed_once_even_in_a_cycle() {
        let server = server().await;
        let project =
            |g: &str| json!({"gid": g, "resource_type": "project", "name": format!("P{g}")});
        let portfolio = |g: &str| json!({"gid": g, "resource_type": "portfolio", "name": "nested"});
        mount_items(
            &server,
            "10",
            json!([project("1"), portfolio("20"), portfolio("30")]),
        )
        .await;
        mount_items(
            &server,
            "20",
            json!([project("2"), portfolio("10"), project("1")]),
        )
        .await;
        mount_items(
            &server,
            "30",
            json!([portfolio("20"), portfolio("30"), project("3")]),
        )
        .await;
        let client = client_for(&server);
        let found: Vec<PortfolioProject> = client
            .portfolio_projects(&gid("10"))
            .try_collect()
            .await
            .unwrap();
        let pairs: Vec<(&str, &str)> = found
            .iter()
            .map(|f| (f.portfolio.as_str(), f.project.gid.as_str()))
            .collect();
        assert_eq!(pairs, [("10", "1"), ("20", "2"), ("30", "3")]);
    }

    #[tokio::test]
    async fn portfolio_asks_for_its_fields() {
        let server = server().await;
        Mock::given(method("GET"))
            .and(path("/api/1.0/portfolios/10"))
            .and(query_param("opt_fields", PORTFOLIO_FIELDS))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"data": {"gid": "10", "name": "Root"}})),
            )
            .expect(1)
            .mount(&server)
            .await;
        let portfolio = client_for(&server).portfolio(&gid("10")).await.unwrap();
        assert_eq!(portfolio.name.as_deref(), Some("Root"));
    }
}
