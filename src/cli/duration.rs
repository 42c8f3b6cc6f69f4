//! Durations on the command line and in output: `500ms`, `2s`, `5m`, `1h`,
//! `7d`, or several of them run together (`1m30s`). A unit is required, so
//! `--heartbeat 5` cannot be misread as milliseconds or minutes.
//!
//! Small enough not to warrant a dependency (`humantime`) for five units.

use std::time::Duration;

/// The units, longest names first so `ms` is not read as `m`.
const UNITS: [(&str, u64); 6] = [
    ("ms", 1),
    ("s", 1_000),
    ("m", 60_000),
    ("h", 3_600_000),
    ("d", 86_400_000),
    ("w", 604_800_000),
];

/// Parses `500ms`, `2s`, `5m`, `1h`, `2d`, `1w` or a sum such as `1m30s`
/// (clap's `value_parser`).
///
/// # Errors
/// A one-line explanation with an example, for clap to show.
pub fn parse(text: &str) -> Result<Duration, String> {
    let invalid = || {
        format!("invalid duration {text:?}: use a number and a unit, e.g. 500ms, 2s, 5m, 1h, 1m30s")
    };
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(invalid)?;
        let value: u64 = rest[..digits].parse().map_err(|_| invalid())?;
        let after = &rest[digits..];
        let (name, ms) = UNITS
            .iter()
            .find(|(name, _)| {
                after.starts_with(name)
                    && !after[name.len()..].starts_with(|c: char| c.is_ascii_alphabetic())
            })
            .ok_or_else(invalid)?;
        let part = value.checked_mul(*ms).ok_or_else(invalid)?;
        total = total.checked_add(part).ok_or_else(invalid)?;
        rest = after[name.len()..].trim_start();
    }
    Ok(Duration::from_millis(total))
}

/// Like [`parse`], but zero is refused (intervals and timeouts).
///
/// # Errors
/// As [`parse`], or when the duration is zero.
pub fn parse_positive(text: &str) -> Result<Duration, String> {
    match parse(text)? {
        d if d.is_zero() => Err(format!("{text:?} must be longer than 0 (e.g. 500ms, 2s)")),
        d => Ok(d),
    }
}

/// A duration for people: `850ms`, `2s`, `1.5s`, `5m`, `2h30m`, `3d4h`.
pub fn format(d: Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 {
        return "0s".to_owned();
    }
    if ms < 1_000 {
        return format!("{ms}ms");
    }
    if ms < 60_000 {
        return match ms % 1_000 {
            0 => format!("{}s", ms / 1_000),
            _ => format!("{:.1}s", ms as f64 / 1_000.0),
        };
    }
    let secs = d.as_secs();
    let (days, hours, mins, s) = (
        secs / 86_400,
        secs % 86_400 / 3_600,
        secs % 3_600 / 60,
        secs % 60,
    );
    let parts = [(days, "d"), (hours, "h"), (mins, "m"), (s, "s")];
    let first = parts.iter().position(|(v, _)| *v > 0).unwrap_or(3);
    // Two units are enough precision for a person reading a table.
    parts[first..]
        .iter()
        .take(2)
        .filter(|(v, _)| *v > 0)
        .map(|(v, unit)| format!("{v}{unit}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_sums_parse() {
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse("1h"), Ok(Duration::from_secs(3_600)));
        assert_eq!(parse("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse("1w"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse(" 1m30s "), Ok(Duration::from_secs(90)));
        assert_eq!(parse("1m 30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn bad_durations_are_refused_with_an_example() {
        for bad in [
            "",
            "5",
            "s",
            "1.5s",
            "2 sec",
            "3x",
            "-1s",
            "1mss",
            "99999999999999999d",
        ] {
            let err = parse(bad).unwrap_err();
            assert!(err.contains("e.g. 500ms"), "{bad}: {err}");
        }
        assert!(parse_positive("0ms").is_err());
        assert_eq!(parse_positive("1ms"), Ok(Duration::from_millis(1)));
    }

    #[test]
    fn durations_format_for_people() {
        assert_eq!(format(Duration::from_millis(850)), "850ms");
        assert_eq!(format(Duration::from_secs(2)), "2s");
        assert_eq!(format(Duration::from_millis(1_500)), "1.5s");
        assert_eq!(format(Duration::from_secs(300)), "5m");
        assert_eq!(format(Duration::from_secs(9_000 + 12)), "2h30m");
        assert_eq!(
            format(Duration::from_secs(3 * 86_400 + 4 * 3_600 + 5)),
            "3d4h"
        );
        assert_eq!(format(Duration::from_secs(3_600 + 5)), "1h");
    }
}
