//! The `route` label of `aegis_asana_requests_total`: a request's path
//! reduced to a small fixed set, so gids never become label values.

/// The route of `path` (relative to the API root, e.g.
/// `/tasks/123/subtasks`; a query string is ignored).
pub fn of(path: &str) -> &'static str {
    let path = path.split('?').next().unwrap_or_default();
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        ["portfolios", _, "items"] => "portfolio_items",
        ["portfolios", _] => "portfolio",
        ["projects", _, "tasks"] | ["tasks"] => "tasks",
        ["projects", _] => "project",
        ["tasks", _, "subtasks"] => "subtasks",
        ["tasks", _] => "task",
        ["events"] => "events",
        ["users", "me"] => "users_me",
        ["webhooks", ..] => "webhooks",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::of;

    #[test]
    fn paths_map_to_a_fixed_set() {
        let cases = [
            ("/portfolios/12/items", "portfolio_items"),
            ("/portfolios/12", "portfolio"),
            ("/projects/34/tasks", "tasks"),
            ("/tasks?project=34", "tasks"),
            ("/projects/34", "project"),
            ("/tasks/56/subtasks", "subtasks"),
            ("/tasks/56", "task"),
            ("/events", "events"),
            ("/users/me", "users_me"),
            ("/webhooks/78", "webhooks"),
            ("/workspaces/9/tags", "other"),
        ];
        for (path, route) in cases {
            assert_eq!(of(path), route, "{path}");
        }
    }
}
