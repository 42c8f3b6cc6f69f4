-- aegis's tables: the local copy of an Asana portfolio and the record of its syncs.
-- The first three tables keep the shape of the tool aegis replaces, so its
-- documented queries work verbatim. apalis keeps its own schema.

-- Projects of the portfolio (and projects that left it: removed_from_portfolio_at).
create table projects (
    id                        bigint generated always as identity primary key,
    asana_gid                 text not null unique,
    name                      text not null,
    notes                     text not null default '',
    archived                  boolean not null default false,
    public                    boolean not null default false,
    privacy_setting           text,
    asana_permalink_url       text,
    portfolio_gid             text,
    workspace_gid             text,
    workspace_name            text,
    team_gid                  text,
    team_name                 text,
    -- Asana's own timestamps for the project.
    created_at                timestamptz,
    modified_at               timestamptz,
    -- When this row's content last changed, and when a sync last confirmed it.
    updated_at                timestamptz not null default now(),
    last_synced_at            timestamptz,
    -- Hash of the synced content: an unchanged upsert is not an update.
    content_hash              text not null default '',
    -- Sync state.
    removed_from_portfolio_at timestamptz,
    events_sync_token         text,
    tasks_modified_watermark  timestamptz,
    last_full_sync_at         timestamptz,
    last_tasks_sync_at        timestamptz
);

-- Tasks and subtasks. A task in several projects is one row (project_id is its
-- home project) plus one task_memberships row per project.
create table tasks (
    id                  bigint generated always as identity primary key,
    asana_gid           text not null unique,
    project_id          bigint references projects (id) on delete set null,
    name                text not null,
    resource_subtype    text not null default 'default_task',
    description         text not null default '',
    html_notes          text,
    completed           boolean not null default false,
    completed_at        timestamptz,
    due_on              date,
    due_at              timestamptz,
    start_on            date,
    assignee_gid        text,
    assignee_name       text,
    assigned_to_aegis   boolean not null default false,
    parent_task_id      bigint references tasks (id) on delete set null,
    parent_gid          text,
    num_subtasks        integer not null default 0,
    asana_permalink_url text,
    tags                jsonb not null default '[]',
    -- {field name: display_value}, as the replaced tool stored it; typed
    -- values are in task_custom_fields.
    custom_fields       jsonb not null default '{}',
    -- Asana's own timestamps for the task.
    modified_at         timestamptz,
    created_at          timestamptz,
    -- When this row's content last changed, and when a sync last confirmed it.
    updated_at          timestamptz not null default now(),
    last_synced_at      timestamptz,
    content_hash        text not null default '',
    -- Tombstone: the task was deleted in Asana.
    deleted_at          timestamptz
);

create index tasks_project_id on tasks (project_id);
create index tasks_parent_task_id on tasks (parent_task_id);
create index tasks_assignee_open on tasks (assignee_gid) where not completed and deleted_at is null;

-- One row per (task, project) membership, with its section.
create table task_memberships (
    task_id        bigint not null references tasks (id) on delete cascade,
    project_id     bigint not null references projects (id) on delete cascade,
    section_gid    text,
    section_name   text,
    last_synced_at timestamptz not null default now(),
    primary key (task_id, project_id)
);

create index task_memberships_project on task_memberships (project_id);

-- Typed custom field values, one row per (task, field).
create table task_custom_fields (
    task_id           bigint not null references tasks (id) on delete cascade,
    field_gid         text not null,
    name              text not null,
    resource_subtype  text not null,
    display_value     text,
    text_value        text,
    number_value      double precision,
    enum_value        text,
    multi_enum_values text[],
    date_value        date,
    date_time_value   timestamptz,
    people_value      text[],
    enabled           boolean not null default true,
    primary key (task_id, field_gid)
);

-- The singleton row of sync timestamps.
create table system_state (
    id                     integer primary key default 1 check (id = 1),
    last_portfolio_sync_at timestamptz,
    last_tasks_sync_at     timestamptz
);

insert into system_state (id) values (1);

-- Every sync, inline or queued, with its figures.
create table sync_runs (
    id                  uuid primary key,
    origin              text not null,                 -- inline | queued
    mode                text not null,                 -- incremental | full
    scope               jsonb not null default '{}',   -- projects_only, chosen projects
    portfolio_gid       text not null,
    status              text not null default 'running', -- running | done | partial | failed
    started_at          timestamptz not null default now(),
    finished_at         timestamptz,
    api_requests        bigint not null default 0,
    rate_limited        bigint not null default 0,
    waited_ms           bigint not null default 0,
    pages               bigint not null default 0,
    projects_created    integer not null default 0,
    projects_updated    integer not null default 0,
    projects_unchanged  integer not null default 0,
    projects_removed    integer not null default 0,
    error               text
);

create index sync_runs_started_at on sync_runs (started_at desc);

-- Per-project results of a run (the run's children).
create table sync_run_projects (
    run_id          uuid not null references sync_runs (id) on delete cascade,
    project_gid     text not null,
    project_name    text not null default '',
    status          text not null default 'pending', -- pending | running | done | failed
    started_at      timestamptz,
    finished_at     timestamptz,
    api_requests    bigint not null default 0,
    rate_limited    bigint not null default 0,
    waited_ms       bigint not null default 0,
    pages           bigint not null default 0,
    tasks_created   integer not null default 0,
    tasks_updated   integer not null default 0,
    tasks_unchanged integer not null default 0,
    tasks_removed   integer not null default 0,
    tasks_deleted   integer not null default 0,
    error           text,
    primary key (run_id, project_gid)
);
