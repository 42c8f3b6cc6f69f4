-- A run's children point at the queued job that syncs them. Several runs can
-- point at one job when a request coalesced into a sync already queued.
alter table sync_run_projects add column job_id text;
alter table sync_run_projects add column attempts integer not null default 0;
create index sync_run_projects_job_id on sync_run_projects (job_id) where job_id is not null;
