-- The tasks a run fetched one by one (an incremental sync's changed
-- tasks), and for which project: a task in several projects, reported by
-- each one's events, is fetched once per run. Another project's sync of
-- the run skips it while the task is still a member of the project that
-- fetched it (whose events then carry its later changes). Deleted with
-- the run.
create table run_task_fetches (
    run_id      uuid not null references sync_runs (id) on delete cascade,
    task_gid    text not null,
    project_gid text not null,
    fetched_at  timestamptz not null default now(),
    primary key (run_id, task_gid)
);
