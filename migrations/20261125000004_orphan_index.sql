-- Subtasks stored before their parent (linked by link_orphans after each
-- project sync): a partial index keeps that look-up proportional to the
-- orphans, not to the whole table.
create index tasks_orphans on tasks (parent_gid)
    where parent_task_id is null and parent_gid is not null;
