//! Pagination end to end: `limit` checks, walking `next_page` to the end
//! without duplicates or gaps, expired, tampered and foreign offsets, and
//! continuing past a task deleted between pages.

use std::collections::BTreeSet;

use reqwest::StatusCode;

use crate::{
    common::{big, gids},
    schema::{check, check_error},
};

const EXPIRED: &str = "offset: Your pagination token has expired.";

#[tokio::test]
async fn walking_pages_of_7_gives_the_unpaged_list_exactly() {
    let fake = big().await;
    let project = fake.project_with_tasks(50);
    for route in [
        format!("/projects/{project}/tasks"),
        format!("/tasks?project={project}"),
    ] {
        let unpaged = fake.ok(&route).await;
        let all = gids(unpaged["data"].as_array().expect("a list"));
        assert!(all.len() >= 50, "{route}: {} tasks", all.len());
        let sep = if route.contains('?') { '&' } else { '?' };
        let (items, pages) = fake
            .all_pages(&format!("{route}{sep}limit=7&opt_fields=name"))
            .await;
        let paged = gids(&items);
        assert_eq!(
            paged, all,
            "{route}: paged listing differs from the unpaged one"
        );
        assert_eq!(
            paged.iter().collect::<BTreeSet<_>>().len(),
            paged.len(),
            "duplicates"
        );
        assert_eq!(pages, all.len().div_ceil(7));
    }
}

#[tokio::test]
async fn next_page_is_null_on_the_last_page_and_absent_without_limit() {
    let fake = big().await;
    let project = fake.project_with_tasks(50);
    let body = fake
        .ok(&format!("/projects/{project}/sections?limit=100"))
        .await;
    check("getSectionsForProject", &body);
    assert!(body["next_page"].is_null() && body.get("next_page").is_some());
    let first = fake.ok(&format!("/projects/{project}/tasks?limit=7")).await;
    check("getTasksForProject", &first);
    assert_eq!(first["data"].as_array().map(Vec::len), Some(7));
    let path = first["next_page"]["path"].as_str().expect("a next page");
    assert!(
        path.starts_with(&format!("/projects/{project}/tasks?")) && path.contains("limit=7"),
        "{path}"
    );
    assert!(fake.ok("/workspaces").await.get("next_page").is_none());
}

#[tokio::test]
async fn limit_outside_1_to_100_is_a_400() {
    let fake = big().await;
    let project = fake.project_with_tasks(1);
    for limit in ["0", "101", "-1", "ten", "1.5"] {
        let answer = fake
            .get(&format!("/projects/{project}/tasks?limit={limit}"))
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "limit={limit}");
        check_error(&answer.body);
        assert!(
            answer.message().starts_with("limit: "),
            "{}",
            answer.message()
        );
    }
}

#[tokio::test]
async fn expired_offsets_are_a_400_and_the_listing_restarts() {
    let fake = big().await;
    let project = fake.project_with_tasks(50);
    let first = fake.ok(&format!("/projects/{project}/tasks?limit=7")).await;
    let next = first["next_page"]["path"]
        .as_str()
        .expect("a next page")
        .to_owned();
    fake.fake.expire_offsets();
    let answer = fake.get(&next).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    check_error(&answer.body);
    assert_eq!(answer.message(), EXPIRED);
    let again = fake.ok(&format!("/projects/{project}/tasks?limit=7")).await;
    let fresh = again["next_page"]["path"].as_str().expect("a next page");
    assert_eq!(fake.get(fresh).await.status, StatusCode::OK);
}

#[tokio::test]
async fn tampered_and_foreign_offsets_are_a_400() {
    let fake = big().await;
    let project = fake.project_with_tasks(50);
    let first = fake.ok(&format!("/projects/{project}/tasks?limit=7")).await;
    let token = first["next_page"]["offset"]
        .as_str()
        .expect("an offset")
        .to_owned();
    let mut tampered = token.clone().into_bytes();
    let last = tampered.len() - 3;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ascii");
    let other = fake
        .world()
        .projects
        .keys()
        .find(|g| **g != project)
        .cloned()
        .expect("another project");
    let cases = [
        format!("/projects/{project}/tasks?limit=7&offset={tampered}"),
        format!("/projects/{project}/tasks?limit=7&offset=garbage"),
        format!("/projects/{other}/tasks?limit=7&offset={token}"),
        format!("/tasks?project={project}&limit=7&offset={token}"),
        format!("/projects/{project}/tasks?limit=7&completed_since=now&offset={token}"),
    ];
    for path in cases {
        let answer = fake.get(&path).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{path}");
        check_error(&answer.body);
        assert!(
            answer.message().starts_with("offset: "),
            "{path}: {}",
            answer.message()
        );
        assert_ne!(answer.message(), EXPIRED);
    }
}

#[tokio::test]
async fn a_task_deleted_between_pages_leaves_no_gap() {
    let fake = big().await;
    let project = fake.project_with_tasks(50);
    let all = fake.task_gids(&project);
    let first = fake.ok(&format!("/projects/{project}/tasks?limit=7")).await;
    let page_one = gids(first["data"].as_array().expect("a list"));
    assert_eq!(page_one, all[..7]);
    // The last task of page one vanishes before page two is fetched.
    fake.fake.delete_task(&all[6]).expect("delete");
    let next = first["next_page"]["path"].as_str().expect("a next page");
    let second = fake.ok(next).await;
    assert_eq!(gids(second["data"].as_array().expect("a list")), all[7..14]);
}
