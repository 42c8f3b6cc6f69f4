-- Asana webhooks aegis established, one per project (see src/webhooks/).
-- `id` is the establishment's own id, also in the target URL
-- (`…/webhooks/asana/{id}`), known before Asana answers; `webhook_gid` is
-- Asana's, null until its 201. The HMAC secret is stored encrypted
-- (AES-256-GCM under AEGIS_WEBHOOK_KEY, the project gid and the row id as
-- associated data), never in clear; null until the handshake.
create table webhooks (
    id                          uuid primary key,
    project_gid                 text not null,
    webhook_gid                 text unique,
    target                      text not null,
    secret_ciphertext           bytea,
    secret_nonce                bytea,
    state                       text not null default 'establishing'
        check (state in ('establishing', 'active', 'failing', 'deleted')),
    created_at                  timestamptz not null default now(),
    handshake_at                timestamptz,
    -- Deliveries with events, heartbeats (empty deliveries), and the last
    -- event a delivery named, as aegis received them.
    last_delivery_at            timestamptz,
    last_event_at               timestamptz,
    last_heartbeat_at           timestamptz,
    -- When `ensure` last compared the row with Asana's record, and that
    -- record's delivery fields as then seen.
    last_checked_at             timestamptz,
    asana_active                boolean,
    asana_last_success_at       timestamptz,
    asana_last_failure_at       timestamptz,
    asana_last_failure_content  text,
    asana_delivery_retry_count  integer,
    asana_next_attempt_after    timestamptz,
    asana_failure_deletion_at   timestamptz,
    check ((secret_ciphertext is null) = (secret_nonce is null))
);

-- At most one live webhook per project (a deleted row is history).
create unique index webhooks_one_live_per_project on webhooks (project_gid)
    where state <> 'deleted';
