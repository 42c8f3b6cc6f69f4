-- Paused job kinds (`aegis queue pause [--kind K]`), shared by every worker
-- process through the database: a worker that fetches a job of a paused
-- kind hands it back uncharged, to look again a few seconds later, and
-- `aegis queue resume` makes those jobs runnable at once. See
-- src/queue/pause.rs.
create table queue_pauses (
    -- The queue name (`PREFIX.sync-portfolio`), as apalis's `job_type`.
    kind      text primary key,
    -- Since when.
    paused_at timestamptz not null default now()
);

comment on table queue_pauses is
    'Job kinds whose jobs no aegis worker starts until `aegis queue resume`.';
