-- How a project's tasks were last synced, for `aegis status`: when its
-- events sync token was stored (Asana expires old tokens, and the next sync
-- then crawls), and whether the last sync read events or crawled, and why.
alter table projects
    add column events_sync_token_at timestamptz,
    add column last_sync_mode text check (last_sync_mode in ('events', 'crawl')),
    add column last_sync_reason text;

update projects set events_sync_token_at = last_tasks_sync_at
where events_sync_token is not null;
