//! Fault injection: rules matched by route pattern that answer the next N
//! requests (or a seeded fraction of them) with an error, a delay, a broken
//! body or a dropped connection.
//!
//! [`Faults`] holds the rules in insertion order; the first rule whose route
//! glob and query substring match, and whose probability roll succeeds,
//! answers the request and uses up one of its `times`.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// What a matching request gets instead of (or on top of) its normal answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// 429 with `Retry-After: retry_after` seconds.
    RateLimited {
        /// Seconds.
        retry_after: u32,
    },
    /// 500 with Asana's JSON error body and phrase.
    ServerError,
    /// 502 with an HTML body (load balancer).
    BadGatewayHtml,
    /// 503 with an HTML body, optionally with `Retry-After`.
    UnavailableHtml {
        /// Seconds.
        retry_after: Option<u32>,
    },
    /// 504 with a JSON body.
    GatewayTimeout,
    /// Any status with Asana's JSON error body (e.g. 401, 403, 404, 402, 451).
    Status {
        /// HTTP status code.
        code: u16,
        /// `errors[0].message`.
        message: String,
    },
    /// The normal answer, delayed.
    Latency {
        /// Milliseconds.
        ms: u64,
    },
    /// The normal answer's status and headers, its body cut in the middle and
    /// the connection closed.
    Truncated,
    /// A 200 whose body is not valid JSON.
    Malformed,
    /// The connection is closed without any response.
    Drop,
}

/// One fault rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    /// Route pattern under `/api/1.0`, `*` matching one path segment and a
    /// trailing `**` any rest, e.g. `/projects/*/tasks`, `/tasks`, `/**`.
    /// Matched against the path only (no query).
    pub route: String,
    /// Optional substring the raw query must contain (e.g. `project=123`).
    #[serde(default)]
    pub query_contains: Option<String>,
    /// The fault.
    #[serde(flatten)]
    pub fault: FaultKind,
    /// Apply to the next `times` matching requests only (None = forever).
    #[serde(default)]
    pub times: Option<u32>,
    /// Apply with this probability (seeded RNG); None = always.
    #[serde(default)]
    pub probability: Option<f64>,
}

/// The fault rules in force, in insertion order, with their seeded RNG.
#[derive(Debug)]
pub struct Faults {
    rules: Vec<FaultRule>,
    rng: ChaCha8Rng,
}

impl Faults {
    /// An empty store whose probabilistic rules draw from `seed`.
    pub fn new(seed: u64) -> Faults {
        Faults {
            rules: Vec::new(),
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// Appends a rule (checked after the existing ones). A rule with
    /// `times: Some(0)` never fires and is not kept.
    pub fn add(&mut self, rule: FaultRule) {
        if rule.times != Some(0) {
            self.rules.push(rule);
        }
    }

    /// Removes every rule.
    pub fn clear(&mut self) {
        self.rules.clear();
    }

    /// The rules in force, `times` showing what is left of each countdown.
    pub fn rules(&self) -> Vec<FaultRule> {
        self.rules.clone()
    }

    /// The fault for a request, if any: the first matching rule that fires.
    /// `path` is under `/api/1.0`; `query` is the raw query string. The
    /// method is accepted for future per-method rules and matches any rule.
    pub fn pick(&mut self, _method: &str, path: &str, query: &str) -> Option<FaultKind> {
        let index = (0..self.rules.len()).find(|&i| {
            let rule = &self.rules[i];
            let matches = route_matches(&rule.route, path)
                && rule
                    .query_contains
                    .as_deref()
                    .is_none_or(|needle| query.contains(needle));
            matches
                && rule
                    .probability
                    .is_none_or(|p| self.rng.random_bool(p.clamp(0.0, 1.0)))
        })?;
        let rule = &mut self.rules[index];
        let fault = rule.fault.clone();
        if let Some(times) = rule.times.as_mut() {
            *times = times.saturating_sub(1);
            if *times == 0 {
                self.rules.remove(index);
            }
        }
        Some(fault)
    }
}

/// Matches a path against a pattern: `*` is one segment, a trailing `**`
/// any rest (including nothing), anything else literal.
pub fn route_matches(pattern: &str, path: &str) -> bool {
    let pattern: Vec<&str> = segments(pattern).collect();
    let mut path = segments(path);
    for (i, want) in pattern.iter().enumerate() {
        if *want == "**" && i + 1 == pattern.len() {
            return true;
        }
        match path.next() {
            Some(got) if *want == "*" || *want == got => {}
            _ => return false,
        }
    }
    path.next().is_none()
}

fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('?')
        .next()
        .unwrap_or_default()
        .split('/')
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(route: &str, fault: FaultKind) -> FaultRule {
        FaultRule {
            route: route.to_owned(),
            query_contains: None,
            fault,
            times: None,
            probability: None,
        }
    }

    #[test]
    fn globs_match_one_segment_or_a_trailing_rest() {
        assert!(route_matches("/projects/*/tasks", "/projects/12/tasks"));
        assert!(!route_matches("/projects/*/tasks", "/projects/12/sections"));
        assert!(!route_matches("/projects/*/tasks", "/projects/tasks"));
        assert!(!route_matches("/projects/*", "/projects/12/tasks"));
        assert!(route_matches("/tasks", "/tasks"));
        assert!(route_matches("/tasks/", "/tasks"));
        assert!(!route_matches("/tasks", "/tasks/1"));
        assert!(route_matches("/**", "/users/me"));
        assert!(route_matches("/**", "/"));
        assert!(route_matches("/projects/**", "/projects/1/tasks"));
        assert!(route_matches("/projects/**", "/projects"));
        assert!(!route_matches("/projects/**", "/tasks/1"));
    }

    #[test]
    fn first_matching_rule_in_insertion_order_wins() {
        let mut faults = Faults::new(1);
        faults.add(rule("/tasks/*", FaultKind::Malformed));
        faults.add(rule("/**", FaultKind::ServerError));
        assert_eq!(
            faults.pick("GET", "/tasks/1", ""),
            Some(FaultKind::Malformed)
        );
        assert_eq!(
            faults.pick("GET", "/users/me", ""),
            Some(FaultKind::ServerError)
        );
    }

    #[test]
    fn query_contains_filters_on_the_raw_query() {
        let mut faults = Faults::new(1);
        faults.add(FaultRule {
            query_contains: Some("project=7".to_owned()),
            ..rule("/tasks", FaultKind::Drop)
        });
        assert_eq!(faults.pick("GET", "/tasks", "project=8&limit=5"), None);
        assert_eq!(
            faults.pick("GET", "/tasks", "limit=5&project=7"),
            Some(FaultKind::Drop)
        );
    }

    #[test]
    fn times_counts_down_and_removes_the_rule() {
        let mut faults = Faults::new(1);
        faults.add(FaultRule {
            times: Some(2),
            ..rule("/**", FaultKind::GatewayTimeout)
        });
        assert_eq!(
            faults.pick("GET", "/a", ""),
            Some(FaultKind::GatewayTimeout)
        );
        assert_eq!(faults.rules()[0].times, Some(1));
        assert_eq!(
            faults.pick("GET", "/a", ""),
            Some(FaultKind::GatewayTimeout)
        );
        assert!(faults.rules().is_empty());
        assert_eq!(faults.pick("GET", "/a", ""), None);
        faults.add(FaultRule {
            times: Some(0),
            ..rule("/**", FaultKind::Drop)
        });
        assert_eq!(faults.pick("GET", "/a", ""), None);
    }

    #[test]
    fn non_matching_requests_do_not_use_up_times() {
        let mut faults = Faults::new(1);
        faults.add(FaultRule {
            times: Some(1),
            ..rule("/tasks", FaultKind::Truncated)
        });
        assert_eq!(faults.pick("GET", "/users/me", ""), None);
        assert_eq!(faults.pick("GET", "/tasks", ""), Some(FaultKind::Truncated));
    }

    fn rolls(seed: u64) -> Vec<bool> {
        let mut faults = Faults::new(seed);
        faults.add(FaultRule {
            probability: Some(0.3),
            ..rule("/**", FaultKind::Latency { ms: 1 })
        });
        (0..1000)
            .map(|_| faults.pick("GET", "/x", "").is_some())
            .collect()
    }

    #[test]
    fn probability_is_seeded_and_roughly_right() {
        let hits = rolls(42).iter().filter(|h| **h).count();
        assert!((200..400).contains(&hits), "{hits}");
        assert_eq!(rolls(42), rolls(42));
        assert_ne!(rolls(42), rolls(43));
    }

    #[test]
    fn a_failed_roll_falls_through_to_later_rules() {
        let mut faults = Faults::new(3);
        faults.add(FaultRule {
            probability: Some(0.0),
            ..rule("/**", FaultKind::Drop)
        });
        faults.add(rule("/**", FaultKind::Malformed));
        assert_eq!(faults.pick("GET", "/x", ""), Some(FaultKind::Malformed));
    }

    #[test]
    fn clear_removes_every_rule() {
        let mut faults = Faults::new(1);
        faults.add(rule("/**", FaultKind::Drop));
        faults.clear();
        assert_eq!(faults.pick("GET", "/x", ""), None);
    }

    #[test]
    fn rules_round_trip_through_json() {
        let json = r#"{"route":"/tasks","kind":"status","code":451,"message":"nope","times":1}"#;
        let rule: FaultRule = serde_json::from_str(json).expect("parses");
        assert_eq!(
            rule.fault,
            FaultKind::Status {
                code: 451,
                message: "nope".to_owned()
            }
        );
        assert_eq!(rule.times, Some(1));
    }
}
