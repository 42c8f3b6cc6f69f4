-- A run that ends (done, partial or failed) says so on the channel
-- `aegis_run_finished`, its id as the payload, when the transaction that
-- closed it commits: `runs::wait` and `runs::FinishedRuns` listen instead of
-- polling. Every way a run closes (the last child, the portfolio step, an
-- inline sync) is an update of its status, so one trigger covers them all.
create function sync_runs_notify_finished() returns trigger
language plpgsql as $$
begin
    perform pg_notify('aegis_run_finished', new.id::text);
    return null;
end
$$;

create trigger sync_runs_notify_finished
    after update of status on sync_runs
    for each row
    when (new.status in ('done', 'partial', 'failed') and old.status is distinct from new.status)
    execute function sync_runs_notify_finished();

comment on function sync_runs_notify_finished() is
    'Notifies aegis_run_finished with the id of a run that just ended.';
