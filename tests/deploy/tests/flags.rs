//! Every `aegis` subcommand, flag and environment variable the deployment
//! files use exists in aegis's command line (`src/cli/args.rs`,
//! `src/cli/args/jobs.rs`, `src/config.rs`): read from the source text, since
//! building and running the `aegis` binary here is too costly for a check of
//! files.

use std::{collections::BTreeSet, fs, path::Path};

use serde_yaml_ng::Value;

use crate::common::{
    at, read, root, str_of, strings, unit_files, unit_values, yaml_docs, yaml_files,
};

/// Added by issue 12 (metrics, health endpoints, the dashboard), in other
/// branches as these files were written. Each is reported once it appears in
/// the source, to be dropped from here.
const PENDING_SUBCOMMANDS: &[&str] = &[];
const PENDING_FLAGS: &[(&str, &str)] = &[];
const PENDING_ENV: &[&str] = &[];
/// Set only for the systemd units' own command lines (`${…}` in ExecStart).
const UNIT_ONLY_ENV: &[&str] = &["AEGIS_HTTP_HOST", "AEGIS_DASHBOARD_LISTEN"];

/// One `aegis …` command line in a deployment file.
struct Invocation {
    file: String,
    argv: Vec<String>,
}

fn invocations() -> Vec<Invocation> {
    let mut out = Vec::new();
    let compose = &yaml_docs("deploy/compose.yaml")[0];
    let aegis_image = at(compose, &["services", "migrate", "image"], "compose");
    for (name, service) in at(compose, &["services"], "compose").as_mapping().unwrap() {
        if service.get("image") == Some(aegis_image) {
            let what = format!("compose service {}", str_of(name, "compose"));
            out.push(Invocation {
                file: what.clone(),
                argv: strings(at(service, &["command"], &what), &what),
            });
        }
    }
    for (file, doc) in k8s_docs() {
        for c in containers(&doc) {
            if str_of(at(&c, &["image"], &file), &file).contains("aegis") {
                let argv = c
                    .get("args")
                    .or_else(|| c.get("command"))
                    .unwrap_or_else(|| panic!("{file}: no args"));
                out.push(Invocation {
                    file: file.clone(),
                    argv: strings(argv, &file),
                });
            }
        }
    }
    for rel in unit_files() {
        let argv = crate::systemd::exec_start(&rel);
        out.push(Invocation {
            file: rel,
            argv: argv[1..].to_vec(),
        });
    }
    assert!(
        out.len() >= 8,
        "only {} aegis command lines found",
        out.len()
    );
    out
}

fn k8s_docs() -> Vec<(String, Value)> {
    yaml_files()
        .into_iter()
        .filter(|f| f.starts_with("deploy/k8s/"))
        .flat_map(|f| yaml_docs(&f).into_iter().map(move |d| (f.clone(), d)))
        .collect()
}

fn containers(doc: &Value) -> Vec<Value> {
    doc.get("spec")
        .and_then(|s| s.get("template"))
        .and_then(|t| t.get("spec"))
        .and_then(|s| s.get("containers"))
        .and_then(Value::as_sequence)
        .cloned()
        .unwrap_or_default()
}

/// The text of `pub struct NAME { … }` or `pub enum NAME { … }` in the
/// command line's source.
fn block(source: &str, item: &str) -> Option<String> {
    let start = source.find(&format!("pub {item} {{"))?;
    let body = &source[start..];
    let end = body.find("\n}")?;
    Some(body[..end].to_owned())
}

fn cli_source() -> String {
    read("src/cli/args.rs") + &read("src/cli/args/jobs.rs")
}

/// The long flags a clap struct defines: its `#[arg(long…)]` fields
/// (`long = "x"` or the field's name in kebab case), and those of the
/// structs it flattens.
fn long_flags(source: &str, name: &str) -> BTreeSet<String> {
    let body = block(source, &format!("struct {name}"))
        .unwrap_or_else(|| panic!("no struct {name} in src/cli/args*"));
    let mut flags = BTreeSet::new();
    let mut attrs = String::new();
    for line in body.lines().skip(1) {
        let line = line.trim();
        // Attributes may span lines; doc comments are not attributes (and
        // say "long" in prose).
        if !line.starts_with("pub ") {
            if !line.starts_with("//") {
                attrs.push_str(line);
                attrs.push(' ');
            }
            continue;
        }
        if let Some(field) = line.strip_prefix("pub ").and_then(|l| l.split_once(':')) {
            let (field, ty) = (field.0.trim(), field.1.trim().trim_end_matches(','));
            if attrs.contains("flatten") {
                flags.extend(long_flags(source, ty));
            } else if let Some(explicit) = attrs.split("long = \"").nth(1) {
                flags.insert(format!("--{}", explicit.split('"').next().unwrap()));
            } else if attrs
                .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                .any(|word| word == "long")
            {
                flags.insert(format!("--{}", field.replace('_', "-")));
            }
        }
        attrs.clear();
    }
    flags
}

/// aegis's subcommands: the kebab-case name of each `Command` variant, and
/// the struct of its flags.
fn subcommands(source: &str) -> Vec<(String, Option<String>)> {
    let body = block(source, "enum Command").expect("enum Command in src/cli/args.rs");
    body.lines()
        .skip(1)
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("///") && !l.starts_with("#["))
        .map(|l| {
            let variant: String = l.chars().take_while(char::is_ascii_alphanumeric).collect();
            let mut kebab = String::new();
            for (i, c) in variant.chars().enumerate() {
                if c.is_ascii_uppercase() && i > 0 {
                    kebab.push('-');
                }
                kebab.push(c.to_ascii_lowercase());
            }
            let args = l
                .split_once('(')
                .map(|(_, r)| r.split(')').next().unwrap().to_owned());
            (kebab, args)
        })
        .collect()
}

#[test]
fn flags_used_in_deploy_exist_in_the_command_line() {
    let source = cli_source();
    let commands = subcommands(&source);
    let globals = long_flags(&source, "Args");
    assert!(
        globals.contains("--database-url"),
        "the source reader found no global flag"
    );
    let mut pending_used = BTreeSet::new();
    for Invocation { file, argv } in invocations() {
        let sub = argv
            .first()
            .unwrap_or_else(|| panic!("{file}: no subcommand"));
        let flags: BTreeSet<String> = match commands.iter().find(|(name, _)| name == sub) {
            Some((_, Some(args))) => long_flags(&source, args),
            Some((_, None)) => BTreeSet::new(),
            None if PENDING_SUBCOMMANDS.contains(&sub.as_str()) => {
                pending_used.insert(sub.clone());
                BTreeSet::new()
            }
            None => panic!("{file}: aegis has no subcommand {sub}"),
        };
        for arg in argv.iter().filter(|a| a.starts_with("--")) {
            let flag = arg.split('=').next().unwrap();
            if flags.contains(flag) || globals.contains(flag) {
                continue;
            }
            assert!(
                PENDING_FLAGS.contains(&(sub.as_str(), flag)),
                "{file}: aegis {sub} has no flag {flag}"
            );
            pending_used.insert(format!("{sub} {flag}"));
        }
    }
    // The check reads real flags: worker's shutdown timeout is one, and the
    // default the checks assume is the source's.
    let worker = long_flags(&source, "WorkerArgs");
    assert!(worker.contains("--shutdown-timeout") && worker.contains("--concurrency"));
    assert!(
        block(&source, "struct WorkerArgs").unwrap().contains(&format!(
            "default_value = \"{}\", value_parser = duration::parse_positive, value_name = \"DURATION\")]\n    pub shutdown_timeout",
            crate::common::DEFAULT_SHUTDOWN_TIMEOUT
        )),
        "worker's --shutdown-timeout default is no longer {}",
        crate::common::DEFAULT_SHUTDOWN_TIMEOUT
    );
    for sub in PENDING_SUBCOMMANDS {
        if commands.iter().any(|(name, _)| name == sub) {
            eprintln!("note: `aegis {sub}` is in the source now: drop it from PENDING_SUBCOMMANDS");
        }
    }
    for (sub, flag) in PENDING_FLAGS {
        let now = commands
            .iter()
            .find(|(name, _)| name == sub)
            .and_then(|(_, args)| args.as_ref())
            .is_some_and(|args| long_flags(&source, args).contains(*flag));
        if now {
            eprintln!(
                "note: `aegis {sub} {flag}` is in the source now: drop it from PENDING_FLAGS"
            );
        }
    }
    eprintln!("pending on issue 12 and used: {pending_used:?}");
}

/// The non-test Rust source of the aegis crate, concatenated.
fn library_source() -> String {
    fn walk(dir: &Path, out: &mut String) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                walk(&path, out);
            } else if name.ends_with(".rs") && !name.contains("test") {
                out.push_str(&fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut out = String::new();
    walk(&root().join("src"), &mut out);
    out
}

#[test]
fn environment_variables_used_in_deploy_are_read_by_aegis() {
    let mut used: BTreeSet<(String, String)> = BTreeSet::new();
    let compose = &yaml_docs("deploy/compose.yaml")[0];
    for (name, service) in at(compose, &["services"], "compose").as_mapping().unwrap() {
        if str_of(name, "compose") == "postgres" {
            continue;
        }
        for key in at(service, &["environment"], "compose")
            .as_mapping()
            .unwrap()
            .keys()
        {
            used.insert((
                "deploy/compose.yaml".into(),
                str_of(key, "compose").to_owned(),
            ));
        }
    }
    for (file, doc) in k8s_docs() {
        if let Some(data) = doc.get("stringData").and_then(Value::as_mapping) {
            used.extend(
                data.keys()
                    .map(|k| (file.clone(), str_of(k, &file).to_owned())),
            );
        }
        for c in containers(&doc) {
            for var in c
                .get("env")
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
            {
                used.insert((
                    file.clone(),
                    str_of(at(var, &["name"], &file), &file).to_owned(),
                ));
            }
        }
    }
    let example = "deploy/systemd/aegis.env.example";
    for line in read(example).lines() {
        let line = line.trim().trim_start_matches('#');
        if let Some((key, _)) = line.split_once('=')
            && !key.is_empty()
            && key.chars().all(|c| c.is_ascii_uppercase() || c == '_')
        {
            used.insert((example.into(), key.to_owned()));
        }
    }
    let mut unit_commands = String::new();
    for rel in unit_files() {
        let unit = crate::common::parse_unit(&rel);
        for env in unit_values(&unit, "Service", "Environment") {
            used.insert((rel.clone(), env.split('=').next().unwrap().to_owned()));
        }
        unit_commands.push_str(&unit_values(&unit, "Service", "ExecStart").join(" "));
    }

    let source = library_source();
    for (file, var) in &used {
        if source.contains(&format!("\"{var}\"")) {
            continue;
        }
        if var == "RUST_LOG" {
            assert!(
                source.contains("EnvFilter::try_from_default_env"),
                "aegis no longer reads RUST_LOG"
            );
        } else if UNIT_ONLY_ENV.contains(&var.as_str()) {
            assert!(
                unit_commands.contains(&format!("${{{var}}}")),
                "{file}: {var} is used by no unit"
            );
        } else {
            assert!(
                PENDING_ENV.contains(&var.as_str()),
                "{file}: aegis reads no {var}"
            );
        }
    }
    for var in PENDING_ENV {
        if source.contains(&format!("\"{var}\"")) {
            eprintln!("note: {var} is in the source now: drop it from PENDING_ENV");
        }
    }
}
