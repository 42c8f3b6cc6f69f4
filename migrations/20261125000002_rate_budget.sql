-- The shared Asana rate budget: one row per token (keyed by a hash of the
-- token, never the token itself). Every worker process reserves its next
-- request slot here with one statement (GCRA / virtual scheduling), so the
-- sum of all processes never exceeds the token's requests per minute, and a
-- 429 seen by one process pauses all of them. See src/budget.rs.
create table rate_budgets (
    -- `sha256:<16 hex>` of the token, or a configured name.
    key          text primary key,
    -- The earliest moment the next request may be sent (database clock).
    next_slot    timestamptz not null,
    -- No request before this moment: a 429's Retry-After, for everyone.
    paused_until timestamptz,
    -- When the row last changed (for operators).
    updated_at   timestamptz not null default now()
);
