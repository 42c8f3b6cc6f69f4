//! `deploy/k8s/`: the Secret example, the migrate Job, the worker and
//! dashboard Deployments, the dashboard's Service.

use serde_yaml_ng::Value;

use crate::common::{
    at, flag_value, port_of, shutdown_timeout, str_of, strings, yaml_docs, yaml_files,
};

/// Every document of every file under `deploy/k8s/`, with its file.
fn documents() -> Vec<(String, Value)> {
    let docs: Vec<(String, Value)> = yaml_files()
        .into_iter()
        .filter(|f| f.starts_with("deploy/k8s/"))
        .flat_map(|f| yaml_docs(&f).into_iter().map(move |d| (f.clone(), d)))
        .collect();
    assert!(!docs.is_empty(), "no document under deploy/k8s/");
    docs
}

fn of_kind(kind: &str) -> Vec<(String, Value)> {
    documents()
        .into_iter()
        .filter(|(_, d)| d.get("kind").and_then(Value::as_str) == Some(kind))
        .collect()
}

/// The first container of a pod template, and its `args` (or `command`).
fn container(doc: &Value, what: &str) -> (Value, Vec<String>) {
    let containers = at(doc, &["spec", "template", "spec", "containers"], what);
    let first = containers
        .as_sequence()
        .and_then(|c| c.first())
        .unwrap_or_else(|| panic!("{what}: no container"))
        .clone();
    let argv = first
        .get("args")
        .or_else(|| first.get("command"))
        .map(|a| strings(a, what))
        .unwrap_or_default();
    (first, argv)
}

/// The Deployment whose container runs `aegis SUBCOMMAND`.
fn deployment_running(subcommand: &str) -> (String, Value, Value, Vec<String>) {
    let found: Vec<_> = of_kind("Deployment")
        .into_iter()
        .filter_map(|(file, doc)| {
            let (c, argv) = container(&doc, &file);
            (argv.first().map(String::as_str) == Some(subcommand)).then_some((file, doc, c, argv))
        })
        .collect();
    assert_eq!(found.len(), 1, "Deployments running aegis {subcommand}");
    found.into_iter().next().unwrap()
}

/// A probe's or a Service's port: a number, or the name of a container port.
fn resolve_port(container: &Value, port: &Value, what: &str) -> u64 {
    if let Some(n) = port.as_u64() {
        return n;
    }
    let name = str_of(port, what);
    at(container, &["ports"], what)
        .as_sequence()
        .unwrap()
        .iter()
        .find(|p| p.get("name").and_then(Value::as_str) == Some(name))
        .and_then(|p| p.get("containerPort").and_then(Value::as_u64))
        .unwrap_or_else(|| panic!("{what}: no container port named {name}"))
}

/// The keys of the example Secret `name`.
fn secret_keys(name: &str) -> Vec<String> {
    let secret = of_kind("Secret")
        .into_iter()
        .find(|(_, d)| {
            d.get("metadata")
                .and_then(|m| m.get("name"))
                .and_then(Value::as_str)
                == Some(name)
        })
        .unwrap_or_else(|| panic!("no example Secret {name}"))
        .1;
    let data = secret
        .get("stringData")
        .or_else(|| secret.get("data"))
        .and_then(Value::as_mapping)
        .unwrap_or_else(|| panic!("Secret {name}: no stringData"));
    data.keys().map(|k| str_of(k, name).to_owned()).collect()
}

/// Every variable a container gets, checking each Secret reference resolves
/// to an example Secret's key.
fn container_env(container: &Value, what: &str) -> Vec<String> {
    let mut names = Vec::new();
    for from in container
        .get("envFrom")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
    {
        let secret = str_of(at(from, &["secretRef", "name"], what), what);
        names.extend(secret_keys(secret));
    }
    for var in container
        .get("env")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
    {
        let name = str_of(at(var, &["name"], what), what);
        if let Some(r) = var.get("valueFrom").and_then(|v| v.get("secretKeyRef")) {
            let secret = str_of(at(r, &["name"], what), what);
            let key = str_of(at(r, &["key"], what), what);
            assert!(
                secret_keys(secret).iter().any(|k| k == key),
                "{what}: Secret {secret} has no {key}"
            );
        }
        names.push(name.to_owned());
    }
    names
}

#[test]
fn k8s_documents_have_api_version_kind_and_name() {
    for (file, doc) in documents() {
        for path in [&["apiVersion"][..], &["kind"], &["metadata", "name"]] {
            let v = at(&doc, path, &file);
            assert!(
                !str_of(v, &file).is_empty(),
                "{file}: empty {}",
                path.join(".")
            );
        }
    }
}

#[test]
fn k8s_secrets_hold_placeholders_only() {
    let secrets = of_kind("Secret");
    assert!(!secrets.is_empty());
    for (file, doc) in secrets {
        assert!(
            doc.get("data").is_none(),
            "{file}: base64 data hides what it holds; use stringData"
        );
        for (key, value) in at(&doc, &["stringData"], &file).as_mapping().unwrap() {
            let key = str_of(key, &file);
            let value = str_of(value, &file);
            if ["TOKEN", "PASSWORD", "DATABASE_URL"]
                .iter()
                .any(|s| key.contains(s))
            {
                assert!(
                    value.contains("CHANGE-ME"),
                    "{file}: {key} is not a placeholder: {value}"
                );
            }
        }
    }
}

#[test]
fn k8s_migrate_job_runs_migrate() {
    let jobs = of_kind("Job");
    assert_eq!(jobs.len(), 1, "one migrate Job");
    let (file, job) = &jobs[0];
    let (c, argv) = container(job, file);
    assert_eq!(argv, ["migrate"], "{file}");
    let restart = str_of(
        at(job, &["spec", "template", "spec", "restartPolicy"], file),
        file,
    );
    assert!(
        ["OnFailure", "Never"].contains(&restart),
        "{file}: restartPolicy {restart}"
    );
    assert!(
        container_env(&c, file).iter().any(|n| n == "DATABASE_URL"),
        "{file}: no DATABASE_URL"
    );
}

#[test]
fn k8s_worker_probes_its_http_port_and_outlasts_the_shutdown_timeout() {
    let (file, deployment, c, argv) = deployment_running("worker");
    let file = file.as_str();
    let addr =
        flag_value(&argv, "--http").unwrap_or_else(|| panic!("{file}: worker has no --http"));
    assert!(
        addr.starts_with("0.0.0.0:"),
        "{file}: --http {addr} is not reachable by the kubelet"
    );
    let port: u64 = port_of(addr).parse().unwrap();

    let readiness = at(&c, &["readinessProbe", "httpGet"], file);
    assert_eq!(str_of(at(readiness, &["path"], file), file), "/readyz");
    assert_eq!(
        resolve_port(&c, at(readiness, &["port"], file), file),
        port,
        "readiness port"
    );
    let liveness = at(&c, &["livenessProbe", "httpGet"], file);
    assert_eq!(str_of(at(liveness, &["path"], file), file), "/healthz");
    assert_eq!(
        resolve_port(&c, at(liveness, &["port"], file), file),
        port,
        "liveness port"
    );
    let declared = at(&c, &["ports"], file).as_sequence().unwrap();
    assert!(
        declared
            .iter()
            .any(|p| p.get("containerPort").and_then(Value::as_u64) == Some(port)),
        "{file}: port {port} is not a containerPort"
    );

    let grace = at(
        &deployment,
        &["spec", "template", "spec", "terminationGracePeriodSeconds"],
        file,
    )
    .as_u64()
    .unwrap();
    assert!(
        grace > shutdown_timeout(&argv).as_secs(),
        "{file}: terminationGracePeriodSeconds {grace} is not above --shutdown-timeout {:?}",
        shutdown_timeout(&argv)
    );

    let annotations = at(
        &deployment,
        &["spec", "template", "metadata", "annotations"],
        file,
    );
    assert_eq!(
        str_of(at(annotations, &["prometheus.io/scrape"], file), file),
        "true"
    );
    assert_eq!(
        str_of(at(annotations, &["prometheus.io/port"], file), file),
        port.to_string()
    );
    assert_eq!(
        str_of(at(annotations, &["prometheus.io/path"], file), file),
        "/metrics"
    );

    let replicas = at(&deployment, &["spec", "replicas"], file)
        .as_u64()
        .unwrap();
    assert!(replicas >= 2, "{file}: {replicas} replica(s) is no fleet");
    at(&c, &["resources", "requests", "cpu"], file);
    at(&c, &["resources", "requests", "memory"], file);
    at(&c, &["resources", "limits", "memory"], file);
    let env = container_env(&c, file);
    for needed in ["DATABASE_URL", "ASANA_ACCESS_TOKEN", "ASANA_PORTFOLIO_GID"] {
        assert!(
            env.iter().any(|n| n == needed),
            "{file}: the worker gets no {needed}"
        );
    }
    let pod = at(&deployment, &["spec", "template", "spec"], file);
    assert_eq!(
        at(pod, &["securityContext", "runAsNonRoot"], file).as_bool(),
        Some(true)
    );
}

#[test]
fn k8s_dashboard_is_a_deployment_behind_a_service() {
    let (file, deployment, c, argv) = deployment_running("dashboard");
    let file = file.as_str();
    let addr = flag_value(&argv, "--listen")
        .unwrap_or_else(|| panic!("{file}: dashboard has no --listen"));
    let port: u64 = port_of(addr).parse().unwrap();
    let env = container_env(&c, file);
    assert!(
        env.iter().any(|n| n == "AEGIS_DASHBOARD_TOKEN"),
        "{file}: no AEGIS_DASHBOARD_TOKEN"
    );
    assert!(
        !env.iter().any(|n| n == "ASANA_ACCESS_TOKEN"),
        "{file}: the dashboard gets the Asana token"
    );

    let labels = at(
        &deployment,
        &["spec", "template", "metadata", "labels"],
        file,
    );
    let services: Vec<_> = of_kind("Service")
        .into_iter()
        .filter(|(_, s)| {
            at(s, &["spec", "selector"], "Service")
                .as_mapping()
                .unwrap()
                .iter()
                .all(|(k, v)| labels.get(k) == Some(v))
        })
        .collect();
    assert_eq!(services.len(), 1, "Services selecting the dashboard's pods");
    let (sfile, service) = &services[0];
    let target = at(&service["spec"]["ports"][0], &["targetPort"], sfile);
    assert_eq!(
        resolve_port(&c, target, sfile),
        port,
        "{sfile}: targetPort is not --listen's port"
    );
}

#[test]
fn every_yaml_file_under_deploy_parses() {
    let files = yaml_files();
    assert!(
        files.iter().any(|f| f == "deploy/compose.yaml"),
        "no deploy/compose.yaml"
    );
    assert!(
        files
            .iter()
            .filter(|f| f.starts_with("deploy/k8s/"))
            .count()
            >= 4,
        "deploy/k8s/ lacks a Secret, Job, worker or dashboard file: {files:?}"
    );
    for file in files {
        assert!(!yaml_docs(&file).is_empty(), "{file}: no document");
    }
}
