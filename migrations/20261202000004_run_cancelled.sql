-- An inline run interrupted (Ctrl-C, SIGTERM) or whose process died without
-- closing it ends `cancelled`, and so do its unfinished children. A run that
-- ends cancelled is notified as finished too.
alter table sync_runs
    drop constraint sync_runs_status,
    add constraint sync_runs_status
        check (status in ('queued', 'running', 'done', 'partial', 'failed', 'cancelled'));
alter table sync_run_projects
    drop constraint sync_run_projects_status,
    add constraint sync_run_projects_status
        check (status in ('pending', 'running', 'retrying', 'done', 'failed', 'cancelled'));

drop trigger sync_runs_notify_finished on sync_runs;
create trigger sync_runs_notify_finished
    after update of status on sync_runs
    for each row
    when (new.status in ('done', 'partial', 'failed', 'cancelled')
          and old.status is distinct from new.status)
    execute function sync_runs_notify_finished();

comment on column sync_runs.status is
    'queued | running | done | partial | failed | cancelled (an inline run interrupted, or whose process died)';
