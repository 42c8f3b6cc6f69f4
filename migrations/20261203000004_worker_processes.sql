-- The `aegis worker` processes (and hosts' registrations) as they start:
-- what apalis's `workers` table does not say. `aegis workers` joins them
-- with apalis's live worker rows by name; `aegis queue purge` deletes the
-- rows of processes whose worker rows are gone. See src/queue/processes.rs.
create table worker_processes (
    -- The process's worker name prefix (`host-pid-nonce`).
    name        text primary key,
    -- The aegis version it runs.
    version     text not null,
    -- Project jobs it runs at once.
    concurrency integer not null,
    started_at  timestamptz not null default now()
);
