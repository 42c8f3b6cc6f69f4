//! Names and prose for generated worlds: users, teams, tags, projects, task
//! names and notes (including the unicode and over-64-KB edge cases), and the
//! `html_notes` rendering of plain notes.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Teams of the workspace (one or two are asked for; two it is).
pub(super) const TEAMS: [&str; 2] = ["Engineering", "Design & Research"];

/// Users as (name, email); the first one is the token's ("me") user.
pub(super) const USERS: [(&str, &str); 8] = [
    ("Ada Lovelace", "ada@example.com"),
    ("Grace Hopper", "grace@example.com"),
    ("Zoë Müller-Lüdenscheidt", "zoe@example.com"),
    ("José Álvarez Núñez", "jose@example.com"),
    ("王芳", "wang.fang@example.com"),
    ("محمد العلي", "mohammed@example.com"),
    ("Nguyễn Ngọc Ánh", "anh@example.com"),
    ("Søren Kierkegaard 🦉", "soren@example.com"),
];

/// Shared tags as (name, colour).
pub(super) const TAGS: [(&str, Option<&str>); 6] = [
    ("bug", Some("dark-red")),
    ("urgent 🔥", Some("light-orange")),
    ("customer", Some("dark-blue")),
    ("tech-debt", None),
    ("design", Some("light-purple")),
    ("需要审查", Some("dark-teal")),
];

/// Project colours Asana accepts.
pub(super) const COLORS: [&str; 10] = [
    "dark-pink",
    "dark-green",
    "dark-blue",
    "dark-red",
    "dark-teal",
    "dark-orange",
    "dark-purple",
    "light-green",
    "light-blue",
    "none",
];

/// Unicode edge-case task names: emoji, CJK, right-to-left, combining marks.
pub(super) const UNICODE_NAMES: [&str; 4] = [
    "🚀 Launch prep ✨ — ship it 👩🏽‍💻",
    "設計レビュー：国际化の文档を更新する",
    "مراجعة التصميم — עדכון התיעוד",
    "Cafe\u{301} re\u{301}sume\u{301}: Z\u{324}\u{354}\u{367}a\u{308}lgo\u{303} n\u{303}",
];

const PROJECTS: [&str; 12] = [
    "Platform",
    "Mobile app 📱",
    "Website redesign",
    "国际化 (i18n)",
    "Data pipeline",
    "Déploiement",
    "Customer onboarding",
    "Security & compliance",
    "Billing",
    "Search",
    "Growth experiments",
    "Internal tools",
];

const VERBS: [&str; 14] = [
    "Fix",
    "Write",
    "Review",
    "Migrate",
    "Benchmark",
    "Design",
    "Refactor",
    "Document",
    "Test",
    "Ship",
    "Investigate",
    "Plan",
    "Clean up",
    "Automate",
];

const OBJECTS: [&str; 16] = [
    "login flow",
    "sync worker",
    "billing export",
    "onboarding emails",
    "search index",
    "rate limiter",
    "dashboard charts",
    "release notes",
    "CI pipeline",
    "database schema",
    "API pagination",
    "settings page",
    "audit log",
    "retry policy",
    "permissions model",
    "error messages",
];

const SENTENCES: [&str; 8] = [
    "See the design doc for context.",
    "Blocked on the upstream fix; ping @grace when it lands.",
    "Acceptance: p95 < 200 ms & no new warnings.",
    "Steps:\n1. reproduce\n2. fix\n3. add a test",
    "Customer asked for this in \"Q1 review\".",
    "Use <code> blocks in the README, not screenshots.",
    "Naïve approach first; optimise later ☕.",
    "Related: 仕様書 v2 section 3.",
];

/// The `i`-th project name; names repeat with a number after the list ends.
pub(super) fn project_name(i: usize) -> String {
    let base = PROJECTS[i % PROJECTS.len()];
    match i / PROJECTS.len() {
        0 => base.to_string(),
        n => format!("{base} {}", n + 1),
    }
}

/// A random task name, occasionally with unicode in it.
pub(super) fn task_name(rng: &mut ChaCha8Rng) -> String {
    let verb = VERBS[rng.random_range(0..VERBS.len())];
    let object = OBJECTS[rng.random_range(0..OBJECTS.len())];
    match rng.random_range(0..20) {
        0 => format!("{verb} {object} 🐛"),
        1 => format!("{verb} {object} (für Ümlaut-Nutzer)"),
        2..=5 => format!("{verb} {object} #{}", rng.random_range(1..1000)),
        _ => format!("{verb} {object}"),
    }
}

/// Random short notes; empty about a third of the time.
pub(super) fn notes(rng: &mut ChaCha8Rng) -> String {
    let n = rng.random_range(0..4);
    if n == 0 || rng.random_bool(0.1) {
        return String::new();
    }
    (0..n)
        .map(|_| SENTENCES[rng.random_range(0..SENTENCES.len())])
        .collect::<Vec<_>>()
        .join("\n")
}

/// Notes of over 70,000 characters (well over 64 KB in characters and in
/// bytes), with characters that need escaping in HTML and multi-byte unicode
/// on every line.
pub(super) fn huge_notes() -> String {
    let mut s = String::with_capacity(90_000);
    let (mut line, mut chars) = (0, 0);
    while chars < 70_000 {
        line += 1;
        let l = format!(
            "Line {line:05}: check <b>bold</b> & \"quotes\" & 'apostrophes' — ünïcödé 🚀 日本語 עברית\n"
        );
        chars += l.chars().count();
        s.push_str(&l);
    }
    s
}

/// Asana's `html_notes` for plain `notes`: `<body>…</body>` with the text escaped.
pub(super) fn html_notes(notes: &str) -> String {
    format!("<body>{}</body>", escape_html(notes))
}

/// Escapes `&`, `<`, `>`, `"` and `'` for HTML.
pub(super) fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
