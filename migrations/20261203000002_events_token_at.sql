-- When a project's events sync token was last stored (`aegis status` shows
-- its age: Asana expires old tokens, and the next sync then crawls).
alter table projects add column events_sync_token_at timestamptz;

update projects set events_sync_token_at = last_tasks_sync_at
where events_sync_token is not null;
