//! `deploy/systemd/`: the migrate oneshot, the worker template, the
//! dashboard, the example environment file; `systemd-analyze verify` when
//! this machine has it.

use std::{fs, path::Path, process::Command};

use crate::common::{
    duration, parse_unit, read, root, shutdown_timeout, unit_files, unit_value, unit_values,
};

const WORKER: &str = "deploy/systemd/aegis-worker@.service";
const DASHBOARD: &str = "deploy/systemd/aegis-dashboard.service";
const MIGRATE: &str = "deploy/systemd/aegis-migrate.service";
const ENV_EXAMPLE: &str = "deploy/systemd/aegis.env.example";
const BINARY: &str = "/usr/local/bin/aegis";
const ENV_FILE: &str = "/etc/aegis/aegis.env";

/// `ExecStart=` split into words (systemd's splitting, without quotes,
/// which these units do not use).
pub fn exec_start(rel: &str) -> Vec<String> {
    let unit = parse_unit(rel);
    unit_value(&unit, rel, "Service", "ExecStart")
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

#[test]
fn systemd_units_run_the_binary_hardened_as_their_own_user() {
    let units = unit_files();
    for needed in [WORKER, DASHBOARD, MIGRATE] {
        assert!(units.iter().any(|u| u == needed), "no {needed}");
    }
    for rel in &units {
        let rel = rel.as_str();
        let unit = parse_unit(rel);
        for section in ["Unit", "Service", "Install"] {
            assert!(unit.contains_key(section), "{rel}: no [{section}]");
        }
        let argv = exec_start(rel);
        assert_eq!(
            argv[0], BINARY,
            "{rel}: ExecStart runs {} instead of {BINARY}",
            argv[0]
        );
        assert!(argv.len() > 1, "{rel}: ExecStart names no subcommand");
        assert!(
            unit_values(&unit, "Service", "EnvironmentFile").contains(&ENV_FILE),
            "{rel}: EnvironmentFile is not {ENV_FILE}"
        );
        let user = unit_value(&unit, rel, "Service", "User");
        assert!(!["root", "0", ""].contains(&user), "{rel}: runs as {user}");
        for (key, value) in [
            ("NoNewPrivileges", "yes"),
            ("ProtectSystem", "strict"),
            ("ProtectHome", "yes"),
            ("PrivateTmp", "yes"),
        ] {
            assert_eq!(
                unit_value(&unit, rel, "Service", key),
                value,
                "{rel}: {key}"
            );
        }
        assert_eq!(
            unit_value(&unit, rel, "Install", "WantedBy"),
            "multi-user.target",
            "{rel}"
        );
        // A ${VAR} on the command line is set in the unit or the env file.
        let env_example = env_example_keys();
        for word in &argv {
            for var in word
                .split("${")
                .skip(1)
                .map(|rest| rest.split('}').next().unwrap())
            {
                let in_unit = unit_values(&unit, "Service", "Environment")
                    .iter()
                    .any(|e| e.starts_with(&format!("{var}=")));
                assert!(
                    in_unit || env_example.iter().any(|k| k == var),
                    "{rel}: ${{{var}}} is set nowhere"
                );
            }
        }
    }
    for rel in [WORKER, DASHBOARD] {
        let unit = parse_unit(rel);
        assert_eq!(
            unit_value(&unit, rel, "Service", "Restart"),
            "on-failure",
            "{rel}"
        );
        assert!(
            unit_values(&unit, "Unit", "Requires").contains(&"aegis-migrate.service"),
            "{rel}: does not require aegis-migrate.service"
        );
        assert!(
            unit_value(&unit, rel, "Unit", "After")
                .split_whitespace()
                .any(|u| u == "aegis-migrate.service"),
            "{rel}: not ordered after aegis-migrate.service"
        );
    }
    let migrate = parse_unit(MIGRATE);
    assert_eq!(unit_value(&migrate, MIGRATE, "Service", "Type"), "oneshot");
    assert_eq!(&exec_start(MIGRATE)[1..], ["migrate"]);
    assert_eq!(exec_start(DASHBOARD)[1], "dashboard");
}

#[test]
fn systemd_worker_template_uses_its_instance_and_stops_in_time() {
    assert!(WORKER.ends_with("@.service"), "{WORKER} is not a template");
    let unit = parse_unit(WORKER);
    let argv = exec_start(WORKER);
    assert_eq!(argv[1], "worker");
    let http =
        crate::common::flag_value(&argv, "--http").unwrap_or_else(|| panic!("{WORKER}: no --http"));
    assert_eq!(
        crate::common::port_of(http),
        "%i",
        "{WORKER}: the instance is not the --http port"
    );
    assert_eq!(
        unit_value(&unit, WORKER, "Service", "KillSignal"),
        "SIGTERM"
    );
    let stop = duration(unit_value(&unit, WORKER, "Service", "TimeoutStopSec"));
    assert!(
        stop > shutdown_timeout(&argv),
        "{WORKER}: TimeoutStopSec {stop:?} is not above --shutdown-timeout {:?}",
        shutdown_timeout(&argv)
    );
}

/// The keys the example environment file sets or shows commented out.
fn env_example_keys() -> Vec<String> {
    read(ENV_EXAMPLE)
        .lines()
        .filter_map(|line| {
            let line = line.trim().trim_start_matches('#');
            let (key, _) = line.split_once('=')?;
            (!key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .then(|| key.to_owned())
        })
        .collect()
}

#[test]
fn systemd_env_example_has_the_settings_and_no_secret() {
    let text = read(ENV_EXAMPLE);
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        assert!(
            !line.starts_with("export "),
            "{ENV_EXAMPLE}:{}: systemd has no export",
            n + 1
        );
        let (key, value) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("{ENV_EXAMPLE}:{}: not KEY=value", n + 1));
        if ["TOKEN", "PASSWORD", "DATABASE_URL"]
            .iter()
            .any(|s| key.contains(s))
        {
            assert!(
                value.contains("CHANGE-ME"),
                "{ENV_EXAMPLE}: {key} is not a placeholder"
            );
        }
    }
    let keys = env_example_keys();
    for needed in [
        "DATABASE_URL",
        "ASANA_ACCESS_TOKEN",
        "ASANA_PORTFOLIO_GID",
        "ASANA_REQUESTS_PER_MINUTE",
        "AEGIS_DASHBOARD_TOKEN",
    ] {
        assert!(
            keys.iter().any(|k| k == needed),
            "{ENV_EXAMPLE}: no {needed}"
        );
    }
}

#[test]
fn systemd_analyze_verifies_the_units() {
    let found = Command::new("systemd-analyze").arg("--version").output();
    if !found.is_ok_and(|o| o.status.success()) {
        eprintln!(
            "note: systemd-analyze is not on PATH here; the units were not verified by systemd"
        );
        return;
    }
    // The units as installed, but ExecStart pointing at a stub: aegis is
    // not installed on this machine, and verify checks the binary exists.
    let dir = std::env::temp_dir().join(format!("aegis-deploy-check-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let stub = dir.join("aegis");
    fs::write(&stub, "#!/bin/sh\nexit 0\n").unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&stub, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut paths = Vec::new();
    for rel in unit_files() {
        let text = read(&rel).replace(BINARY, stub.to_str().unwrap());
        let name = Path::new(&rel)
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        fs::write(dir.join(&name), &text).unwrap();
        paths.push(dir.join(&name));
        // The template, and one instance of it as `systemctl start` makes it.
        if let Some(prefix) = name.strip_suffix("@.service") {
            let instance = dir.join(format!("{prefix}@9464.service"));
            fs::write(&instance, &text).unwrap();
            paths.push(instance);
        }
    }
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg("--man=no")
        .args(&paths)
        .current_dir(root())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let _ = fs::remove_dir_all(&dir);
    // verify exits 0 on unknown keys and typos, only printing them: any
    // output is a failure.
    assert!(
        out.status.success() && stderr.trim().is_empty() && stdout.trim().is_empty(),
        "systemd-analyze verify ({}):\n{stdout}{stderr}",
        out.status
    );
}
