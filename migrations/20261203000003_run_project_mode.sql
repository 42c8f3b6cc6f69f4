-- How each project of a run read Asana when it was synced: `events` (only
-- the changed tasks) or `crawl` (every page), and why it crawled. Copied
-- from the project's row (`projects.last_sync_mode`, written in the same
-- sync) when the child is recorded done.
alter table sync_run_projects
    add column mode text check (mode in ('events', 'crawl')),
    add column mode_reason text;
