//! The benchmark's results: one [`Scenario`] per scenario (its figures in
//! order, the goals some of them have, notes), the one table printed at the
//! end, and `target/bench/results.json`.

use std::{fmt, path::Path};

use comfy_table::{CellAlignment, ContentArrangement, Table, presets::ASCII_MARKDOWN};
use serde_json::{Map, Value, json};

/// A goal a figure is held to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    /// The figure must be at most this.
    AtMost(f64),
    /// The figure must be at least this.
    AtLeast(f64),
    /// The figure must be within these bounds (inclusive): a figure that
    /// can fail both ways (too slow, or faster than a budget allows).
    Between(f64, f64),
}

impl Goal {
    /// Whether `value` meets the goal.
    pub fn met(self, value: f64) -> bool {
        match self {
            Goal::AtMost(limit) => value <= limit,
            Goal::AtLeast(limit) => value >= limit,
            Goal::Between(low, high) => (low..=high).contains(&value),
        }
    }
}

impl fmt::Display for Goal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Goal::AtMost(v) => write!(f, "≤ {v}"),
            Goal::AtLeast(v) => write!(f, "≥ {v}"),
            Goal::Between(low, high) => write!(f, "{low} to {high}"),
        }
    }
}

/// One figure of a scenario.
#[derive(Debug, Clone)]
struct Figure {
    key: String,
    value: Value,
    goal: Option<Goal>,
}

/// What one scenario measured.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Its name, as in the issue (`full_sync`, `ingest`, …).
    pub name: String,
    figures: Vec<Figure>,
    details: Map<String, Value>,
    notes: Vec<String>,
    error: Option<String>,
}

impl Scenario {
    /// An empty scenario.
    pub fn new(name: &str) -> Scenario {
        Scenario {
            name: name.to_owned(),
            figures: Vec::new(),
            details: Map::new(),
            notes: Vec::new(),
            error: None,
        }
    }

    /// Records a figure without a goal.
    pub fn put(&mut self, key: &str, value: impl Into<Value>) -> &mut Self {
        self.put_goal(key, value, None)
    }

    /// Records a figure held to `goal`.
    pub fn put_goal(
        &mut self,
        key: &str,
        value: impl Into<Value>,
        goal: Option<Goal>,
    ) -> &mut Self {
        self.figures.push(Figure {
            key: key.to_owned(),
            value: value.into(),
            goal,
        });
        self
    }

    /// Records a detail shown in the JSON only (a breakdown, a setting).
    pub fn detail(&mut self, key: &str, value: impl Into<Value>) {
        self.details.insert(key.to_owned(), value.into());
    }

    /// Adds a note (what was counted, a caveat) to the JSON.
    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// Records why the scenario could not finish.
    pub fn fail(&mut self, error: &anyhow::Error) {
        self.error = Some(format!("{error:#}"));
    }

    /// A figure's number, if recorded.
    pub fn get(&self, key: &str) -> Option<f64> {
        self.figures.iter().find(|f| f.key == key)?.value.as_f64()
    }

    /// The scenario as a JSON object: its figures, then `goals`, `met`,
    /// `notes` and `error` where there are any.
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        let (mut goals, mut met) = (Map::new(), Map::new());
        for f in &self.figures {
            object.insert(f.key.clone(), f.value.clone());
            if let Some(goal) = f.goal {
                goals.insert(f.key.clone(), goal.to_string().into());
                met.insert(f.key.clone(), f.value.as_f64().map(|v| goal.met(v)).into());
            }
        }
        object.extend(self.details.clone());
        if !goals.is_empty() {
            object.insert("goals".into(), goals.into());
            object.insert("met".into(), met.into());
        }
        if !self.notes.is_empty() {
            object.insert("notes".into(), json!(self.notes));
        }
        if let Some(error) = &self.error {
            object.insert("error".into(), error.clone().into());
        }
        object.into()
    }
}

/// A number as the table shows it: integers plainly, others with at most
/// three significant decimals.
pub fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else if v.abs() >= 100.0 {
        format!("{v:.1}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn cell(value: &Value) -> String {
    match value {
        Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), number),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The one table: scenario, metric, value, goal, met?
pub fn table(scenarios: &[Scenario]) -> String {
    let mut table = Table::new();
    table.load_style(ASCII_MARKDOWN);
    table.set_content_arrangement(ContentArrangement::Disabled);
    table.set_header(["scenario", "metric", "value", "goal", "met?"]);
    if let Some(column) = table.column_mut(2) {
        column.set_cell_alignment(CellAlignment::Right);
    }
    for s in scenarios {
        for f in &s.figures {
            let met = match (f.goal, f.value.as_f64()) {
                (Some(goal), Some(v)) if goal.met(v) => "yes",
                (Some(_), _) => "NO",
                (None, _) => "",
            };
            let goal = f.goal.map(|g| g.to_string()).unwrap_or_default();
            table.add_row([
                s.name.clone(),
                f.key.clone(),
                cell(&f.value),
                goal,
                met.into(),
            ]);
        }
        if let Some(error) = &s.error {
            table.add_row([
                s.name.clone(),
                "error".into(),
                error.clone(),
                String::new(),
                "NO".into(),
            ]);
        }
    }
    table.to_string()
}

/// Writes `results.json`: the machine, then one object per scenario.
pub fn write_json(path: &Path, machine: Value, scenarios: &[Scenario]) -> anyhow::Result<()> {
    let mut object = Map::new();
    object.insert("command".into(), "just bench".into());
    object.insert(
        "generated_at".into(),
        chrono::Utc::now().to_rfc3339().into(),
    );
    object.insert("machine".into(), machine);
    for s in scenarios {
        object.insert(s.name.clone(), s.to_json());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(
        path,
        serde_json::to_string_pretty(&Value::Object(object))? + "\n",
    )?;
    Ok(())
}
