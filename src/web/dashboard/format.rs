//! How the pages write durations, moments, kinds and long texts.

use chrono::{DateTime, Utc};
use maud::{Markup, html};

use aegis_jobs::Queues;

/// `42s`, `3m 5s`, `2h 4m`, `3d 2h`.
pub(super) fn age(secs: i64) -> String {
    let secs = secs.max(0);
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

/// `at` relative to `now` (`3m 5s ago`, `in 20s`), the exact UTC time as
/// its tooltip.
pub(super) fn when(at: DateTime<Utc>, now: DateTime<Utc>) -> Markup {
    let secs = (now - at).num_seconds();
    let text = if secs >= 0 {
        format!("{} ago", age(secs))
    } else {
        format!("in {}", age(-secs))
    };
    html! { time datetime=(at.to_rfc3339()) title=(at.format("%Y-%m-%d %H:%M:%S UTC")) { (text) } }
}

/// [`when`], or a dash.
pub(super) fn when_opt(at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Markup {
    match at {
        Some(at) => when(at, now),
        None => html! { span.muted { "-" } },
    }
}

/// A queue's short kind (`sync-project-tasks`), or the name as it is.
pub(super) fn kind(queues: &Queues, queue: &str) -> String {
    queues
        .kind_of(queue)
        .map_or_else(|| queue.to_owned(), |k| k.as_str().to_owned())
}

/// At most `max` characters of `text`, on one line, with `…` when cut.
pub(super) fn clip(text: &str, max: usize) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_texts_read_short() {
        assert_eq!(age(42), "42s");
        assert_eq!(age(185), "3m 5s");
        assert_eq!(age(7440), "2h 4m");
        assert_eq!(age(266_400), "3d 2h");
        assert_eq!(clip("a  b\nc", 10), "a b c");
        assert_eq!(clip("abcdef", 3), "abc…");
    }
}
