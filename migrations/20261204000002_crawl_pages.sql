-- What a full crawl of a project costs, from its last one: the pages it
-- read (task pages, plus each parent's subtask pages). An incremental sync
-- fetches the changed tasks one by one while they are fewer than that, and
-- crawls instead when they are more (before: a flat 100).
alter table projects add column crawl_pages integer check (crawl_pages >= 0);
