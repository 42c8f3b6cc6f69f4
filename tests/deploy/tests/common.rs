//! Reading the repository's files: YAML documents, systemd units, durations.

use std::{
    collections::BTreeMap,
    fs,
    path::{Path, PathBuf},
    time::Duration,
};

use serde::Deserialize;
use serde_yaml_ng::Value;

/// The repository root (this crate is `tests/deploy`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A file of the repository, by its path from the root.
pub fn read(rel: &str) -> String {
    let path = root().join(rel);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every file under `deploy/` (recursively), as paths from the root, sorted.
pub fn deploy_files() -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let root = root();
    let mut paths = Vec::new();
    walk(&root.join("deploy"), &mut paths);
    let mut rels: Vec<String> = paths
        .iter()
        .map(|p| {
            p.strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    rels.sort();
    rels
}

/// The YAML files under `deploy/`.
pub fn yaml_files() -> Vec<String> {
    deploy_files()
        .into_iter()
        .filter(|f| f.ends_with(".yaml") || f.ends_with(".yml"))
        .collect()
}

/// Every document of a YAML file (`---`-separated), empty ones dropped.
pub fn yaml_docs(rel: &str) -> Vec<Value> {
    let text = read(rel);
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|doc| Value::deserialize(doc).unwrap_or_else(|e| panic!("{rel}: {e}")))
        .filter(|doc| !doc.is_null())
        .collect()
}

/// `value[a][b]…`, or a panic naming the missing path.
pub fn at<'a>(value: &'a Value, path: &[&str], what: &str) -> &'a Value {
    let mut v = value;
    for (i, key) in path.iter().enumerate() {
        v = v
            .get(*key)
            .unwrap_or_else(|| panic!("{what}: no {}", path[..=i].join(".")));
    }
    v
}

/// A YAML string, or a panic.
pub fn str_of<'a>(value: &'a Value, what: &str) -> &'a str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{what}: not a string: {value:?}"))
}

/// A YAML list of strings (a command, args), or a panic.
pub fn strings(value: &Value, what: &str) -> Vec<String> {
    value
        .as_sequence()
        .unwrap_or_else(|| panic!("{what}: not a list: {value:?}"))
        .iter()
        .map(|v| str_of(v, what).to_owned())
        .collect()
}

/// The value following `flag` in a command line (`--flag VALUE` or
/// `--flag=VALUE`).
pub fn flag_value<'a>(argv: &'a [String], flag: &str) -> Option<&'a str> {
    argv.iter().enumerate().find_map(|(i, arg)| {
        if arg == flag {
            argv.get(i + 1).map(String::as_str)
        } else {
            arg.strip_prefix(flag)
                .and_then(|rest| rest.strip_prefix('='))
        }
    })
}

/// The port of a listen address (`0.0.0.0:9464`, `[::]:9464`, `${HOST}:%i`).
pub fn port_of(addr: &str) -> &str {
    addr.rsplit_once(':')
        .unwrap_or_else(|| panic!("{addr}: no port"))
        .1
}

/// A duration as aegis's flags and systemd write it: `45`, `30s`, `500ms`,
/// `2m`, `10min`, `1h`.
pub fn duration(text: &str) -> Duration {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits
        .parse()
        .unwrap_or_else(|_| panic!("{text}: not a duration"));
    match unit.trim() {
        "" | "s" | "sec" => Duration::from_secs(n),
        "ms" => Duration::from_millis(n),
        "m" | "min" => Duration::from_secs(n * 60),
        "h" => Duration::from_secs(n * 3600),
        other => panic!("{text}: unknown unit {other}"),
    }
}

/// aegis's own default of `worker --shutdown-timeout` when it is not passed
/// (src/cli/args/jobs.rs); checked against the source there.
pub const DEFAULT_SHUTDOWN_TIMEOUT: &str = "30s";

/// The shutdown timeout a worker command line gives aegis.
pub fn shutdown_timeout(argv: &[String]) -> Duration {
    duration(flag_value(argv, "--shutdown-timeout").unwrap_or(DEFAULT_SHUTDOWN_TIMEOUT))
}

/// A systemd unit: section → its `Key=value` lines in order (keys repeat).
pub type Unit = BTreeMap<String, Vec<(String, String)>>;

/// Parses a unit file: `[Section]` headers, `Key=value` lines, `#`/`;`
/// comments, `\` continuations. Anything else is an error.
pub fn parse_unit(rel: &str) -> Unit {
    let text = read(rel);
    let mut unit = Unit::new();
    let mut section: Option<String> = None;
    let mut pending = String::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if pending.is_empty() && (line.is_empty() || line.starts_with('#') || line.starts_with(';'))
        {
            continue;
        }
        if let Some(cont) = line.strip_suffix('\\') {
            pending.push_str(cont);
            pending.push(' ');
            continue;
        }
        let line = format!("{pending}{line}");
        pending.clear();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            unit.entry(name.to_owned()).or_default();
            section = Some(name.to_owned());
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            panic!("{rel}:{}: not Key=value: {raw}", n + 1);
        };
        let section = section
            .as_ref()
            .unwrap_or_else(|| panic!("{rel}:{}: a setting outside any section", n + 1));
        unit.get_mut(section)
            .unwrap()
            .push((key.trim().to_owned(), value.trim().to_owned()));
    }
    assert!(pending.is_empty(), "{rel}: ends in a continuation");
    unit
}

/// The values of `key` in `section`.
pub fn unit_values<'a>(unit: &'a Unit, section: &str, key: &str) -> Vec<&'a str> {
    unit.get(section)
        .map(|lines| {
            lines
                .iter()
                .filter(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
                .collect()
        })
        .unwrap_or_default()
}

/// The one value of `key` in `section`, or a panic.
pub fn unit_value<'a>(unit: &'a Unit, rel: &str, section: &str, key: &str) -> &'a str {
    match unit_values(unit, section, key).as_slice() {
        [one] => one,
        [] => panic!("{rel}: no {key}= in [{section}]"),
        many => panic!("{rel}: {key}= set {} times in [{section}]", many.len()),
    }
}

/// The systemd unit files under `deploy/`.
pub fn unit_files() -> Vec<String> {
    deploy_files()
        .into_iter()
        .filter(|f| f.ends_with(".service"))
        .collect()
}
