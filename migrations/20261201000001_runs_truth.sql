-- A run's figures are its truth in the table itself (issue 8): `sync_runs`
-- holds the requests, 429s, waits and pages of everything the run did (its
-- portfolio step plus every attempt of every child) and the task figures of
-- its children, for inline and queued runs alike. A trigger rolls each
-- child's change up into its run, so no writer can forget to.

alter table sync_runs
    add column tasks_created   integer not null default 0,
    add column tasks_updated   integer not null default 0,
    add column tasks_unchanged integer not null default 0,
    add column tasks_removed   integer not null default 0,
    add column tasks_deleted   integer not null default 0;

-- Existing runs: queued runs held only their portfolio step's requests
-- (inline runs already added their children's); both get task figures.
update sync_runs r set
    api_requests = r.api_requests + case when r.origin = 'queued' then c.api_requests else 0 end,
    rate_limited = r.rate_limited + case when r.origin = 'queued' then c.rate_limited else 0 end,
    waited_ms    = r.waited_ms    + case when r.origin = 'queued' then c.waited_ms else 0 end,
    pages        = r.pages        + case when r.origin = 'queued' then c.pages else 0 end,
    tasks_created = c.tasks_created, tasks_updated = c.tasks_updated,
    tasks_unchanged = c.tasks_unchanged, tasks_removed = c.tasks_removed,
    tasks_deleted = c.tasks_deleted
from (
    select run_id, sum(api_requests) as api_requests, sum(rate_limited) as rate_limited,
        sum(waited_ms) as waited_ms, sum(pages) as pages,
        sum(tasks_created) as tasks_created, sum(tasks_updated) as tasks_updated,
        sum(tasks_unchanged) as tasks_unchanged, sum(tasks_removed) as tasks_removed,
        sum(tasks_deleted) as tasks_deleted
    from sync_run_projects group by run_id
) c
where c.run_id = r.id;

-- Each change of a child's figures is added to its run (the difference, so
-- an attempt's figures count once whatever rewrites the child's row).
create function sync_run_projects_roll_up() returns trigger
language plpgsql as $$
declare
    before sync_run_projects%rowtype;
begin
    if tg_op = 'UPDATE' then
        before := old;
    end if;
    -- Nothing to add (a status change, a new child at zero): the run's row
    -- is not even locked.
    if (new.api_requests, new.rate_limited, new.waited_ms, new.pages, new.tasks_created,
        new.tasks_updated, new.tasks_unchanged, new.tasks_removed, new.tasks_deleted)
       is not distinct from
       (coalesce(before.api_requests, 0), coalesce(before.rate_limited, 0),
        coalesce(before.waited_ms, 0), coalesce(before.pages, 0),
        coalesce(before.tasks_created, 0), coalesce(before.tasks_updated, 0),
        coalesce(before.tasks_unchanged, 0), coalesce(before.tasks_removed, 0),
        coalesce(before.tasks_deleted, 0)) then
        return null;
    end if;
    update sync_runs set
        api_requests    = api_requests    + new.api_requests    - coalesce(before.api_requests, 0),
        rate_limited    = rate_limited    + new.rate_limited    - coalesce(before.rate_limited, 0),
        waited_ms       = waited_ms       + new.waited_ms       - coalesce(before.waited_ms, 0),
        pages           = pages           + new.pages           - coalesce(before.pages, 0),
        tasks_created   = tasks_created   + new.tasks_created   - coalesce(before.tasks_created, 0),
        tasks_updated   = tasks_updated   + new.tasks_updated   - coalesce(before.tasks_updated, 0),
        tasks_unchanged = tasks_unchanged + new.tasks_unchanged - coalesce(before.tasks_unchanged, 0),
        tasks_removed   = tasks_removed   + new.tasks_removed   - coalesce(before.tasks_removed, 0),
        tasks_deleted   = tasks_deleted   + new.tasks_deleted   - coalesce(before.tasks_deleted, 0)
    where id = new.run_id;
    return null;
end
$$;

create trigger sync_run_projects_roll_up
    after insert or update on sync_run_projects
    for each row execute function sync_run_projects_roll_up();

-- Typed statuses: the values the Rust enums of `runs` write, and no others.
alter table sync_runs
    add constraint sync_runs_origin check (origin in ('inline', 'queued')),
    add constraint sync_runs_mode check (mode in ('incremental', 'full')),
    add constraint sync_runs_status
        check (status in ('queued', 'running', 'done', 'partial', 'failed'));
alter table sync_run_projects
    add constraint sync_run_projects_status
        check (status in ('pending', 'running', 'retrying', 'done', 'failed'));

comment on table sync_runs is
    'Every sync, inline or queued; owned by aegis::runs. Figures cover everything the run did: '
    'the portfolio step and every attempt of every child (rolled up by trigger).';
comment on column sync_runs.origin is 'inline (aegis sync) | queued (a SyncPortfolio job)';
comment on column sync_runs.status is
    'queued (waiting for a worker) | running | done | partial (some projects failed) | failed';
comment on column sync_runs.api_requests is
    'Asana requests of the whole run: portfolio step plus every attempt of every child';
comment on column sync_runs.tasks_created is
    'Tasks created by the run, once each, even when the attempt that wrote them later failed';
comment on column sync_run_projects.status is
    'pending | running (an attempt is under way) | retrying (failed, will run again) | done | failed';
comment on column sync_run_projects.attempts is 'Attempts started (inline runs: 1)';
comment on column sync_run_projects.job_id is
    'The queued SyncProjectTasks job syncing it (null inline); several runs may share one';
