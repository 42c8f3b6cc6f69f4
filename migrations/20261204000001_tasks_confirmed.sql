-- `tasks.last_synced_at` means "last confirmed against Asana": a live
-- task's value is the later of when a sync last wrote its row and when the
-- project whose sync wrote it (`synced_by`: the project being synced, for
-- a subtask its parent's) last synced its tasks successfully, incremental
-- or full. An incremental sync that finds no events has confirmed every
-- task it covers, and now they read so, without rewriting a row. A task
-- that left that project (and was not written by another since) is no
-- longer confirmed by it; a tombstoned task keeps the time it was last seen.
--
-- The rows move to `task_rows` (aegis writes only there); `tasks` is a view
-- of them with the derived value, so the seed's documented queries read it
-- unchanged. Foreign keys, indexes and sequences follow the rename. The one
-- write per sync is `projects.last_tasks_sync_at`, which every successful
-- sync already made; the alternative (rewriting every live task's row at
-- every sync) is measured by `just bench --only confirm`.
alter table tasks rename to task_rows;

alter table task_rows add column synced_by bigint references projects (id) on delete set null;
update task_rows set synced_by = project_id where deleted_at is null;

create view tasks as
select t.id, t.asana_gid, t.project_id, t.name, t.resource_subtype, t.description,
    t.html_notes, t.completed, t.completed_at, t.due_on, t.due_at, t.start_on,
    t.assignee_gid, t.assignee_name, t.assigned_to_aegis, t.parent_task_id,
    t.parent_gid, t.num_subtasks, t.asana_permalink_url, t.tags, t.custom_fields,
    t.modified_at, t.created_at, t.updated_at,
    case when t.deleted_at is null
        then greatest(t.last_synced_at, p.last_tasks_sync_at)
        else t.last_synced_at end as last_synced_at,
    t.content_hash, t.deleted_at
from task_rows t left join projects p on p.id = t.synced_by;

comment on view tasks is
    'aegis''s tasks; last_synced_at is when Asana last confirmed the task (its row written, or the project that wrote it synced). aegis writes task_rows.';
