-- Every wait of a run, split: `waited_ms` is the time its requests waited
-- out 429s (`Retry-After`) and backoff; `paced_ms` the time they waited for
-- their slot in the token's requests-per-minute budget (normal pacing).
alter table sync_runs add column paced_ms bigint not null default 0;
alter table sync_run_projects add column paced_ms bigint not null default 0;

-- A child's pacing rolls up into its run like its other figures.
create or replace function sync_run_projects_roll_up() returns trigger
language plpgsql as $$
declare
    before sync_run_projects%rowtype;
begin
    if tg_op = 'UPDATE' then
        before := old;
    end if;
    -- Nothing to add (a status change, a new child at zero): the run's row
    -- is not even locked.
    if (new.api_requests, new.rate_limited, new.waited_ms, new.paced_ms, new.pages,
        new.tasks_created,
        new.tasks_updated, new.tasks_unchanged, new.tasks_removed, new.tasks_deleted)
       is not distinct from
       (coalesce(before.api_requests, 0), coalesce(before.rate_limited, 0),
        coalesce(before.waited_ms, 0), coalesce(before.paced_ms, 0), coalesce(before.pages, 0),
        coalesce(before.tasks_created, 0), coalesce(before.tasks_updated, 0),
        coalesce(before.tasks_unchanged, 0), coalesce(before.tasks_removed, 0),
        coalesce(before.tasks_deleted, 0)) then
        return null;
    end if;
    update sync_runs set
        api_requests    = api_requests    + new.api_requests    - coalesce(before.api_requests, 0),
        rate_limited    = rate_limited    + new.rate_limited    - coalesce(before.rate_limited, 0),
        waited_ms       = waited_ms       + new.waited_ms       - coalesce(before.waited_ms, 0),
        paced_ms        = paced_ms        + new.paced_ms        - coalesce(before.paced_ms, 0),
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
