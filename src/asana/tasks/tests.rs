//! Tests of the task resources.
