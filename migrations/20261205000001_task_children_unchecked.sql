-- Faster page upserts. The page statement (src/store/task_page.sql) writes
-- a task's memberships and custom values from the ids its own insert of the
-- tasks returned, and a task's home, confirming project and parent from the
-- rows it reads, all in one statement; aegis never deletes a task or a
-- project (it tombstones). The per-row foreign-key checks on those writes
-- (one queued trigger call for each of a task's 5 child rows and 3 links,
-- about 40% of a page's time on a first crawl) verified what the statement
-- guarantees by construction. They go.
--
-- What the constraints did when someone else deletes stays, set-based: one
-- statement-level trigger per parent table removes (or unlinks) the rows
-- that pointed at the deleted ones, and truncating the tasks empties their
-- children. The trigger functions name aegis's tables through the
-- search_path this migration ran with (aegis's schema), whoever deletes.
--
-- And the subtask index holds subtasks only: top-level tasks (most of a
-- page) no longer pay an index entry for a null parent; every look-up by
-- parent is an equality, which implies not null.
drop index tasks_parent_task_id;
create index tasks_parent_task_id on task_rows (parent_task_id)
    where parent_task_id is not null;

alter table task_memberships
    drop constraint task_memberships_task_id_fkey,
    drop constraint task_memberships_project_id_fkey;
alter table task_custom_fields drop constraint task_custom_fields_task_id_fkey;
alter table task_rows
    drop constraint tasks_parent_task_id_fkey,
    drop constraint tasks_project_id_fkey,
    drop constraint task_rows_synced_by_fkey;

create function task_rows_deleted() returns trigger
language plpgsql set search_path from current as $$
begin
    delete from task_memberships where task_id in (select id from gone);
    delete from task_custom_fields where task_id in (select id from gone);
    update task_rows set parent_task_id = null where parent_task_id in (select id from gone);
    return null;
end
$$;

create trigger task_rows_deleted
    after delete on task_rows
    referencing old table as gone
    for each statement execute function task_rows_deleted();

create function task_rows_truncated() returns trigger
language plpgsql set search_path from current as $$
begin
    -- Not a truncate: the statement may be truncating them too.
    delete from task_memberships;
    delete from task_custom_fields;
    return null;
end
$$;

create trigger task_rows_truncated
    after truncate on task_rows
    for each statement execute function task_rows_truncated();

create function projects_deleted() returns trigger
language plpgsql set search_path from current as $$
begin
    delete from task_memberships where project_id in (select id from gone);
    update task_rows set project_id = null where project_id in (select id from gone);
    update task_rows set synced_by = null where synced_by in (select id from gone);
    return null;
end
$$;

create trigger projects_deleted
    after delete on projects
    referencing old table as gone
    for each statement execute function projects_deleted();

comment on function task_rows_deleted() is
    'Deletes the memberships and custom values of deleted task rows and unlinks their subtasks (the foreign keys went for speed).';
comment on function task_rows_truncated() is
    'Empties task_memberships and task_custom_fields when task_rows is truncated.';
comment on function projects_deleted() is
    'Deletes the memberships of deleted projects and unlinks the tasks homed or confirmed there.';
