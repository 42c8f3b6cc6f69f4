//! The `fake-asana` binary: one JSON line on stdout, loopback only, serves
//! the preset asked for, and exits cleanly on SIGTERM.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
};

use serde_json::Value;

#[tokio::test]
async fn prints_one_json_line_serves_and_stops_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-asana"))
        .args([
            "--port",
            "0",
            "--projects",
            "2",
            "--tasks-per-project",
            "3",
            "--token",
            "0/bin-token",
            "--webhook-heartbeat-secs",
            "60",
            "--webhook-loss",
            "0.5",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the binary");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let info: Value = serde_json::from_str(&line).expect("one JSON line");
    let base = info["base_url"].as_str().unwrap();
    assert!(
        base.starts_with("http://127.0.0.1:") && base.ends_with("/api/1.0"),
        "{base}"
    );
    assert_eq!(info["token"], "0/bin-token");
    assert!(info["admin_url"].as_str().unwrap().ends_with("/_admin"));
    let portfolio = info["portfolio_gid"].as_str().unwrap();
    let url = format!("{base}/portfolios/{portfolio}/items");
    let items: Value = crate::http::client()
        .get(url)
        .bearer_auth("0/bin-token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let projects = items["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["resource_type"] == "project")
        .count();
    assert_eq!(projects, 2);
    let admin = info["admin_url"].as_str().unwrap();
    let settings: Value = crate::http::client()
        .get(format!("{admin}/webhooks/settings"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(settings["data"]["heartbeat_interval"], 60_000);
    assert_eq!(settings["data"]["loss_fraction"], 0.5);
    assert_eq!(settings["data"]["delivery_timeout"], 10_000);
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "graceful exit: {status}");
}
