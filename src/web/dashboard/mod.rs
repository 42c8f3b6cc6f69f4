//! The dashboard: server-rendered pages of the queue, the runs and the
//! copy's freshness, and the actions that steer the queue.
