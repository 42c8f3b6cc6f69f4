//! `deploy/compose.yaml`: PostgreSQL, the one-shot migrate, N workers, the
//! dashboard, started in that order.

use serde_yaml_ng::Value;

use crate::common::{
    at, duration, flag_value, port_of, shutdown_timeout, str_of, strings, yaml_docs,
};

const FILE: &str = "deploy/compose.yaml";

fn compose() -> Value {
    let docs = yaml_docs(FILE);
    assert_eq!(docs.len(), 1, "{FILE}: one document");
    docs.into_iter().next().unwrap()
}

fn service<'a>(compose: &'a Value, name: &str) -> &'a Value {
    at(compose, &["services", name], FILE)
}

/// The condition `service` waits for on `dependency`.
fn condition<'a>(compose: &'a Value, service_name: &str, dependency: &str) -> &'a str {
    let what = format!("{FILE}: {service_name} depends_on {dependency}");
    str_of(
        at(
            service(compose, service_name),
            &["depends_on", dependency, "condition"],
            &what,
        ),
        &what,
    )
}

fn command(compose: &Value, name: &str) -> Vec<String> {
    strings(at(service(compose, name), &["command"], FILE), FILE)
}

/// An environment value must come from the caller's environment
/// (`${VAR…}`), never a literal secret in the file.
fn from_env(value: &Value, what: &str) {
    let text = str_of(value, what);
    assert!(
        text.starts_with("${") && text.ends_with('}'),
        "{what} is a literal: {text}"
    );
}

#[test]
fn compose_has_postgres_migrate_worker_and_dashboard() {
    let compose = compose();
    let services = at(&compose, &["services"], FILE).as_mapping().unwrap();
    for name in ["postgres", "migrate", "worker", "dashboard"] {
        assert!(services.contains_key(name), "{FILE}: no service {name}");
    }

    let postgres = service(&compose, "postgres");
    let image = str_of(at(postgres, &["image"], FILE), FILE);
    assert!(
        image.contains("postgres:15"),
        "{FILE}: postgres image {image} is not 15"
    );
    assert!(!strings(at(postgres, &["healthcheck", "test"], FILE), FILE).is_empty());
    let mounts = strings(at(postgres, &["volumes"], FILE), FILE);
    let data = mounts
        .iter()
        .find(|m| m.ends_with(":/var/lib/postgresql/data"))
        .unwrap_or_else(|| panic!("{FILE}: postgres keeps its data in no volume"));
    let volume = data.split(':').next().unwrap();
    assert!(
        at(&compose, &["volumes"], FILE).get(volume).is_some(),
        "{FILE}: volume {volume} is not declared"
    );
}

#[test]
fn compose_starts_workers_after_migrate_completes() {
    let compose = compose();
    assert_eq!(command(&compose, "migrate"), ["migrate"]);
    assert_eq!(
        condition(&compose, "migrate", "postgres"),
        "service_healthy"
    );
    assert_eq!(
        condition(&compose, "worker", "migrate"),
        "service_completed_successfully"
    );
    assert_eq!(condition(&compose, "worker", "postgres"), "service_healthy");
    assert_eq!(
        condition(&compose, "dashboard", "migrate"),
        "service_completed_successfully"
    );
    // Every aegis service runs the image the migrate service builds from the
    // Containerfile.
    let migrate = service(&compose, "migrate");
    let image = at(migrate, &["image"], FILE);
    for name in ["worker", "dashboard"] {
        assert_eq!(
            at(service(&compose, name), &["image"], FILE),
            image,
            "{name}'s image"
        );
    }
    let context = str_of(at(migrate, &["build", "context"], FILE), FILE);
    let dockerfile = str_of(at(migrate, &["build", "dockerfile"], FILE), FILE);
    let built = crate::common::root()
        .join("deploy")
        .join(context)
        .join(dockerfile);
    assert!(
        built.is_file(),
        "{FILE}: builds from {}, which is missing",
        built.display()
    );
    assert!(
        crate::common::root()
            .join("deploy")
            .join(context)
            .join("Cargo.toml")
            .is_file(),
        "{FILE}: the build context is not the workspace root"
    );
}

#[test]
fn compose_workers_serve_http_and_stop_in_time() {
    let compose = compose();
    let worker = service(&compose, "worker");
    let argv = command(&compose, "worker");
    assert_eq!(argv[0], "worker");
    let addr =
        flag_value(&argv, "--http").unwrap_or_else(|| panic!("{FILE}: worker has no --http"));
    assert!(
        addr.starts_with("0.0.0.0:"),
        "{FILE}: --http {addr} is unreachable from other containers"
    );
    let port = port_of(addr);
    let exposed: Vec<String> = at(worker, &["expose"], FILE)
        .as_sequence()
        .unwrap()
        .iter()
        .map(|p| match p {
            Value::Number(n) => n.to_string(),
            other => str_of(other, FILE).to_owned(),
        })
        .collect();
    assert!(
        exposed.iter().any(|p| p == port),
        "{FILE}: worker does not expose {port}"
    );
    assert!(
        worker.get("ports").is_none(),
        "{FILE}: a fixed host port stops --scale worker=N"
    );
    let replicas = at(worker, &["deploy", "replicas"], FILE);
    assert!(
        replicas.as_u64().is_some_and(|n| n >= 1)
            || replicas.as_str().is_some_and(|s| s.starts_with("${")),
        "{FILE}: deploy.replicas {replicas:?}"
    );
    assert_eq!(str_of(at(worker, &["stop_signal"], FILE), FILE), "SIGTERM");
    let grace = duration(str_of(at(worker, &["stop_grace_period"], FILE), FILE));
    assert!(
        grace > shutdown_timeout(&argv),
        "{FILE}: stop_grace_period {grace:?} is not above --shutdown-timeout {:?}",
        shutdown_timeout(&argv)
    );
    from_env(
        at(worker, &["environment", "ASANA_ACCESS_TOKEN"], FILE),
        "worker's ASANA_ACCESS_TOKEN",
    );
}

#[test]
fn compose_dashboard_needs_a_token_from_the_environment() {
    let compose = compose();
    let dashboard = service(&compose, "dashboard");
    let argv = command(&compose, "dashboard");
    assert_eq!(argv[0], "dashboard");
    let addr = flag_value(&argv, "--listen")
        .unwrap_or_else(|| panic!("{FILE}: dashboard has no --listen"));
    let published = strings(at(dashboard, &["ports"], FILE), FILE);
    assert!(
        published
            .iter()
            .any(|p| p.ends_with(&format!(":{}", port_of(addr)))),
        "{FILE}: the dashboard's port {} is not published",
        port_of(addr)
    );
    from_env(
        at(dashboard, &["environment", "AEGIS_DASHBOARD_TOKEN"], FILE),
        "dashboard's AEGIS_DASHBOARD_TOKEN",
    );
    assert!(
        at(dashboard, &["environment"], FILE)
            .get("ASANA_ACCESS_TOKEN")
            .is_none(),
        "{FILE}: the dashboard gets the Asana token"
    );
}
