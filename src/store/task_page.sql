-- One page of tasks in one statement: the tasks, then, for the tasks whose
-- content changed (or that are new or come back from the trash), their
-- memberships and typed custom fields, replaced. The page is parsed once.
-- $1: the page as a JSON array of TaskRow (with content_hash),
-- $2: the project being synced (the rows' `synced_by`: its syncs confirm
-- them), $3: the sync time.
with input as materialized (
    select * from jsonb_to_recordset($1) as r(
        asana_gid text, name text, resource_subtype text, description text,
        html_notes text, completed boolean, completed_at timestamptz, due_on date,
        due_at timestamptz, start_on date, assignee_gid text, assignee_name text,
        assigned_to_aegis boolean, parent_gid text, num_subtasks integer,
        asana_permalink_url text, tags jsonb, custom_fields jsonb,
        modified_at timestamptz, created_at timestamptz, content_hash text,
        memberships jsonb, custom_values jsonb)
),
prior as (
    select t.asana_gid, t.content_hash, t.deleted_at
    from task_rows t join input using (asana_gid)
),
up as (
    insert into task_rows (asana_gid, project_id, parent_task_id, name, resource_subtype,
        description, html_notes, completed, completed_at, due_on, due_at, start_on,
        assignee_gid, assignee_name, assigned_to_aegis, parent_gid, num_subtasks,
        asana_permalink_url, tags, custom_fields, modified_at, created_at,
        content_hash, updated_at, last_synced_at, synced_by)
    select asana_gid,
        -- The home project, whatever the order of the syncs: Asana's first
        -- membership aegis knows, else the parent's home (for subtasks),
        -- else the project being synced.
        coalesce(
            (select p.id from jsonb_array_elements(input.memberships)
                 with ordinality as m(member, n)
             join projects p on p.asana_gid = m.member ->> 'project_gid'
             order by m.n limit 1),
            (select parent.project_id from task_rows parent
             where parent.asana_gid = input.parent_gid),
            $2),
        (select parent.id from task_rows parent where parent.asana_gid = input.parent_gid),
        name, resource_subtype, description, html_notes, completed, completed_at,
        due_on, due_at, start_on, assignee_gid, assignee_name, assigned_to_aegis,
        parent_gid, num_subtasks, asana_permalink_url, tags, custom_fields,
        modified_at, created_at, content_hash, $3, $3, $2
    from input
    on conflict (asana_gid) do update set
        project_id = excluded.project_id,
        -- A parent stored later is linked by link_orphans.
        parent_task_id = case
            when excluded.parent_gid is not distinct from task_rows.parent_gid
            then coalesce(excluded.parent_task_id, task_rows.parent_task_id)
            else excluded.parent_task_id end,
        name = excluded.name, resource_subtype = excluded.resource_subtype,
        description = excluded.description, html_notes = excluded.html_notes,
        completed = excluded.completed, completed_at = excluded.completed_at,
        due_on = excluded.due_on, due_at = excluded.due_at,
        start_on = excluded.start_on, assignee_gid = excluded.assignee_gid,
        assignee_name = excluded.assignee_name,
        assigned_to_aegis = excluded.assigned_to_aegis,
        parent_gid = excluded.parent_gid, num_subtasks = excluded.num_subtasks,
        asana_permalink_url = excluded.asana_permalink_url, tags = excluded.tags,
        custom_fields = excluded.custom_fields, modified_at = excluded.modified_at,
        created_at = excluded.created_at, content_hash = excluded.content_hash,
        updated_at = case
            when task_rows.content_hash is distinct from excluded.content_hash
                or task_rows.deleted_at is not null
            then excluded.updated_at else task_rows.updated_at end,
        last_synced_at = excluded.last_synced_at,
        synced_by = excluded.synced_by,
        deleted_at = null
    returning id, asana_gid, content_hash
),
changed as (
    select up.id, prior.asana_gid is not null as existed, input.memberships,
        input.custom_values
    from up join input using (asana_gid) left join prior using (asana_gid)
    where prior.asana_gid is null or prior.deleted_at is not null
       or prior.content_hash is distinct from up.content_hash
),
members as (
    select distinct on (c.id, p.id) c.id as task_id, p.id as project_id,
        x.section_gid, x.section_name
    from changed c
    cross join jsonb_to_recordset(c.memberships)
        as x(project_gid text, section_gid text, section_name text)
    join projects p on p.asana_gid = x.project_gid
),
dropped_members as (
    delete from task_memberships tm using changed c
    where c.existed and tm.task_id = c.id
      and not exists (select 1 from members m
                      where m.task_id = tm.task_id and m.project_id = tm.project_id)
),
written_members as (
    insert into task_memberships (task_id, project_id, section_gid, section_name,
        last_synced_at)
    select task_id, project_id, section_gid, section_name, $3 from members
    on conflict (task_id, project_id) do update set
        section_gid = excluded.section_gid, section_name = excluded.section_name,
        last_synced_at = excluded.last_synced_at
),
field_values as (
    select distinct on (c.id, x.field_gid) c.id as task_id, x.*
    from changed c
    cross join jsonb_to_recordset(c.custom_values) as x(field_gid text, name text,
        resource_subtype text, display_value text, text_value text,
        number_value double precision, enum_value text, multi_enum_values text[],
        date_value date, date_time_value timestamptz, people_value text[],
        enabled boolean)
),
dropped_values as (
    delete from task_custom_fields cf using changed c
    where c.existed and cf.task_id = c.id
      and not exists (select 1 from field_values v
                      where v.task_id = cf.task_id and v.field_gid = cf.field_gid)
),
written_values as (
    insert into task_custom_fields (task_id, field_gid, name, resource_subtype,
        display_value, text_value, number_value, enum_value, multi_enum_values,
        date_value, date_time_value, people_value, enabled)
    select task_id, field_gid, name, resource_subtype, display_value, text_value,
        number_value, enum_value, multi_enum_values, date_value, date_time_value,
        people_value, enabled
    from field_values
    on conflict (task_id, field_gid) do update set
        name = excluded.name, resource_subtype = excluded.resource_subtype,
        display_value = excluded.display_value, text_value = excluded.text_value,
        number_value = excluded.number_value, enum_value = excluded.enum_value,
        multi_enum_values = excluded.multi_enum_values,
        date_value = excluded.date_value, date_time_value = excluded.date_time_value,
        people_value = excluded.people_value, enabled = excluded.enabled
)
select
    count(*) filter (where prior.asana_gid is null) as created,
    count(*) filter (where prior.asana_gid is not null
        and (prior.content_hash is distinct from up.content_hash
             or prior.deleted_at is not null)) as updated,
    count(*) filter (where prior.content_hash = up.content_hash
        and prior.deleted_at is null) as unchanged
from up left join prior using (asana_gid)
