-- One page of tasks in one statement: the tasks, then, for the tasks whose
-- content changed (or that are new or come back from the trash), their
-- memberships and typed custom fields, replaced. The page arrives as typed
-- arrays, one per column (binary, no JSON to parse), bound by
-- `task_page.rs`:
-- $1..$21: the tasks' columns (content_hash last),
-- $22..$25: their memberships (task gid, project gid, section gid, name),
-- in Asana's order,
-- $26..$38: their typed custom values (task gid first),
-- $39: the project being synced (the rows' `synced_by`: its syncs confirm
-- them), $40: the sync time.
with input as (
    select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
        $6::boolean[], $7::timestamptz[], $8::date[], $9::timestamptz[], $10::date[],
        $11::text[], $12::text[], $13::boolean[], $14::text[], $15::integer[],
        $16::text[], $17::jsonb[], $18::jsonb[], $19::timestamptz[], $20::timestamptz[],
        $21::text[])
    as r(asana_gid, name, resource_subtype, description, html_notes, completed,
        completed_at, due_on, due_at, start_on, assignee_gid, assignee_name,
        assigned_to_aegis, parent_gid, num_subtasks, asana_permalink_url, tags,
        custom_fields, modified_at, created_at, content_hash)
),
member_input as materialized (
    select * from unnest($22::text[], $23::text[], $24::text[], $25::text[])
        with ordinality as m(task_gid, project_gid, section_gid, section_name, n)
),
value_input as (
    select * from unnest($26::text[], $27::text[], $28::text[], $29::text[], $30::text[],
        $31::text[], $32::double precision[], $33::text[], $34::jsonb[], $35::date[],
        $36::timestamptz[], $37::jsonb[], $38::boolean[])
    as v(task_gid, field_gid, name, resource_subtype, display_value, text_value,
        number_value, enum_value, multi_enum_values, date_value, date_time_value,
        people_value, enabled)
),
-- Each task's first membership in a project aegis knows.
homes as (
    select distinct on (m.task_gid) m.task_gid as asana_gid, p.id as project_id
    from member_input m join projects p on p.asana_gid = m.project_gid
    order by m.task_gid, m.n
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
            homes.project_id,
            (select parent.project_id from task_rows parent
             where parent.asana_gid = input.parent_gid),
            $39),
        (select parent.id from task_rows parent where parent.asana_gid = input.parent_gid),
        name, resource_subtype, description, html_notes, completed, completed_at,
        due_on, due_at, start_on, assignee_gid, assignee_name, assigned_to_aegis,
        parent_gid, num_subtasks, asana_permalink_url, tags, custom_fields,
        modified_at, created_at, content_hash, $40, $40, $39
    from input left join homes using (asana_gid)
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
    -- A row this statement inserted has no xmax (an updated one carries
    -- this transaction's lock): its id is new, so no row anywhere points at
    -- it yet, whatever a concurrent sync did meanwhile. A row whose content
    -- was written (new, changed, or back from the trash) has this sync's
    -- time as its updated_at; an unchanged one keeps an earlier one.
    returning id, asana_gid, xmax = 0 as inserted, updated_at = $40 as written
),
changed as (
    select up.id, up.asana_gid, not up.inserted as existed from up where up.written
),
members as (
    select distinct on (c.id, p.id) c.id as task_id, p.id as project_id,
        x.section_gid, x.section_name, c.existed
    from changed c
    join member_input x on x.task_gid = c.asana_gid
    join projects p on p.asana_gid = x.project_gid
),
dropped_members as (
    delete from task_memberships tm using changed c
    where c.existed and tm.task_id = c.id
      and not exists (select 1 from members m
                      where m.task_id = tm.task_id and m.project_id = tm.project_id)
),
-- A new task's children are plain inserts (nothing to conflict with); a
-- changed one's are upserts.
new_members as (
    insert into task_memberships (task_id, project_id, section_gid, section_name,
        last_synced_at)
    select task_id, project_id, section_gid, section_name, $40 from members
    where not existed
),
written_members as (
    insert into task_memberships (task_id, project_id, section_gid, section_name,
        last_synced_at)
    select task_id, project_id, section_gid, section_name, $40 from members
    where existed
    on conflict (task_id, project_id) do update set
        section_gid = excluded.section_gid, section_name = excluded.section_name,
        last_synced_at = excluded.last_synced_at
),
field_values as (
    select distinct on (c.id, x.field_gid) c.id as task_id, x.field_gid, x.name,
        x.resource_subtype, x.display_value, x.text_value, x.number_value,
        x.enum_value,
        case when x.multi_enum_values is not null
            then array(select jsonb_array_elements_text(x.multi_enum_values)) end as multi_enum_values,
        x.date_value, x.date_time_value,
        case when x.people_value is not null
            then array(select jsonb_array_elements_text(x.people_value)) end as people_value,
        x.enabled, c.existed
    from changed c
    join value_input x on x.task_gid = c.asana_gid
),
dropped_values as (
    delete from task_custom_fields cf using changed c
    where c.existed and cf.task_id = c.id
      and not exists (select 1 from field_values v
                      where v.task_id = cf.task_id and v.field_gid = cf.field_gid)
),
new_values as (
    insert into task_custom_fields (task_id, field_gid, name, resource_subtype,
        display_value, text_value, number_value, enum_value, multi_enum_values,
        date_value, date_time_value, people_value, enabled)
    select task_id, field_gid, name, resource_subtype, display_value, text_value,
        number_value, enum_value, multi_enum_values, date_value, date_time_value,
        people_value, enabled
    from field_values
    where not existed
),
written_values as (
    insert into task_custom_fields (task_id, field_gid, name, resource_subtype,
        display_value, text_value, number_value, enum_value, multi_enum_values,
        date_value, date_time_value, people_value, enabled)
    select task_id, field_gid, name, resource_subtype, display_value, text_value,
        number_value, enum_value, multi_enum_values, date_value, date_time_value,
        people_value, enabled
    from field_values
    where existed
    on conflict (task_id, field_gid) do update set
        name = excluded.name, resource_subtype = excluded.resource_subtype,
        display_value = excluded.display_value, text_value = excluded.text_value,
        number_value = excluded.number_value, enum_value = excluded.enum_value,
        multi_enum_values = excluded.multi_enum_values,
        date_value = excluded.date_value, date_time_value = excluded.date_time_value,
        people_value = excluded.people_value, enabled = excluded.enabled
)
select
    count(*) filter (where inserted) as created,
    count(*) filter (where written and not inserted) as updated,
    count(*) filter (where not written) as unchanged
from up
