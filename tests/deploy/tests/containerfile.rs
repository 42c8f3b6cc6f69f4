//! `deploy/Containerfile`: a build stage and a slim runtime stage holding
//! only the release binary, run as an unprivileged user.

use crate::common::read;

const FILE: &str = "deploy/Containerfile";

/// (instruction, its arguments), continuations joined, comments dropped.
fn instructions() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut pending = String::new();
    for line in read(FILE).lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (pending.is_empty() && trimmed.is_empty()) {
            continue;
        }
        if let Some(cont) = trimmed.strip_suffix('\\') {
            pending.push_str(cont);
            pending.push(' ');
            continue;
        }
        let full = format!("{pending}{trimmed}");
        pending.clear();
        let (word, rest) = full.split_once(char::is_whitespace).unwrap_or((&full, ""));
        out.push((word.to_ascii_uppercase(), rest.trim().to_owned()));
    }
    out
}

/// The instructions split into stages at each `FROM`.
fn stages() -> Vec<Vec<(String, String)>> {
    let mut stages: Vec<Vec<(String, String)>> = Vec::new();
    for (word, rest) in instructions() {
        if word == "FROM" {
            stages.push(Vec::new());
        }
        stages
            .last_mut()
            .unwrap_or_else(|| panic!("{FILE}: {word} before any FROM"))
            .push((word, rest));
    }
    stages
}

fn args_of<'a>(stage: &'a [(String, String)], word: &str) -> Vec<&'a str> {
    stage
        .iter()
        .filter(|(w, _)| w == word)
        .map(|(_, r)| r.as_str())
        .collect()
}

#[test]
fn containerfile_builds_in_one_stage_and_runs_slim_in_another() {
    let stages = stages();
    assert!(
        stages.len() >= 2,
        "{FILE}: {} FROM stage(s), not a multi-stage build",
        stages.len()
    );
    let build = &stages[0];
    let builder = args_of(build, "FROM")[0];
    let (image, _) = builder.split_once(" AS ").unwrap_or((builder, ""));
    let version = image
        .split_once("rust:")
        .unwrap_or_else(|| panic!("{FILE}: the build stage is {image}, not a rust image"))
        .1;
    // The builder's Rust is at least the workspace's rust-version.
    let wanted = read("Cargo.toml")
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .expect("rust-version in Cargo.toml")
        .trim_matches('"')
        .to_owned();
    let parse = |v: &str| -> Vec<u32> { v.split('.').map(|n| n.parse().unwrap()).collect() };
    let have = version.split('-').next().unwrap();
    assert!(
        parse(have) >= parse(&wanted),
        "{FILE}: rust {have} is older than rust-version {wanted}"
    );
    assert!(
        args_of(build, "RUN")
            .iter()
            .any(|r| r.contains("cargo build --release --locked -p aegis")),
        "{FILE}: the build stage does not run cargo build --release --locked -p aegis"
    );

    let runtime = stages.last().unwrap();
    assert!(
        args_of(runtime, "FROM")[0].contains("debian:bookworm-slim"),
        "{FILE}: runtime is not debian:bookworm-slim"
    );
    assert!(
        args_of(runtime, "RUN")
            .iter()
            .any(|r| r.contains("ca-certificates")),
        "{FILE}: no ca-certificates"
    );
    assert_eq!(args_of(runtime, "ENTRYPOINT"), [r#"["aegis"]"#]);
    let exposed: Vec<&str> = args_of(runtime, "EXPOSE")
        .iter()
        .flat_map(|e| e.split_whitespace())
        .collect();
    for port in ["9464", "8080"] {
        assert!(exposed.contains(&port), "{FILE}: does not expose {port}");
    }
    // No curl or wget in the image to probe with (deploy/README.md).
    assert!(
        args_of(runtime, "HEALTHCHECK").is_empty(),
        "{FILE}: a HEALTHCHECK with no probe tool"
    );
}

#[test]
fn containerfile_runs_as_a_non_root_user() {
    let stages = stages();
    let runtime = stages.last().unwrap();
    let users = args_of(runtime, "USER");
    let user = *users
        .last()
        .unwrap_or_else(|| panic!("{FILE}: no USER: the image runs as root"));
    let name = user.split(':').next().unwrap();
    assert!(!["root", "0"].contains(&name), "{FILE}: USER {user}");
    if name.chars().all(|c| c.is_ascii_digit()) {
        assert!(
            args_of(runtime, "RUN")
                .iter()
                .any(|r| r.contains("useradd") && r.contains(&format!("--uid {name}"))),
            "{FILE}: uid {name} is not created"
        );
    }
}

#[test]
fn containerfile_runtime_copies_only_the_binary() {
    let stages = stages();
    let runtime = stages.last().unwrap();
    assert!(
        args_of(runtime, "ADD").is_empty(),
        "{FILE}: ADD in the runtime stage"
    );
    let copies = args_of(runtime, "COPY");
    assert_eq!(
        copies.len(),
        1,
        "{FILE}: the runtime stage copies {} things",
        copies.len()
    );
    let words: Vec<&str> = copies[0].split_whitespace().collect();
    assert!(
        words[0].starts_with("--from="),
        "{FILE}: the runtime copies from the build context: {}",
        copies[0]
    );
    let paths: Vec<&str> = words
        .iter()
        .filter(|w| !w.starts_with("--"))
        .copied()
        .collect();
    assert_eq!(
        paths.len(),
        2,
        "{FILE}: COPY {}: one source, one destination",
        copies[0]
    );
    assert!(
        paths[0].ends_with("/aegis"),
        "{FILE}: copies {}, not the aegis binary",
        paths[0]
    );
    assert_eq!(paths[1], "/usr/local/bin/aegis");
    // And the build context leaves target/ (gigabytes) out.
    let ignore = read("deploy/Containerfile.dockerignore");
    assert!(
        ignore.lines().any(|l| l.trim() == "target"),
        "deploy/Containerfile.dockerignore keeps target/"
    );
}
