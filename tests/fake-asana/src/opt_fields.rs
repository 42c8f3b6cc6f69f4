//! Asana's `opt_fields`: parsing one comma-separated value (dotted paths,
//! `(a|b)` groups) and projecting a full JSON record down to exactly the
//! requested fields plus `gid` at every object level.

use serde_json::Value;

/// A parsed `opt_fields` value.
#[derive(Debug, Clone, Default)]
pub struct OptFields {}

impl OptFields {
    /// Parses `opt_fields=a,b.c,d.(e|f)`; unknown names are kept and later ignored.
    pub fn parse(_raw: &str) -> OptFields {
        todo!("owned by the protocol helper")
    }

    /// Keeps only the requested paths of `full` (an object or an array of
    /// objects), plus `gid` on every object at every depth.
    pub fn project(&self, _full: &Value) -> Value {
        todo!("owned by the protocol helper")
    }
}
