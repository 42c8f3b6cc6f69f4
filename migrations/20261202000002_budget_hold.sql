-- The token's shared hold (see src/budget/hold.rs): when Asana rejects the
-- token (401) or keeps failing (5xx, connection errors: the circuit opens),
-- every process of the token stops sending requests and waits, while one
-- of them probes `/users/me` at a slow rate; the first success lifts it.
alter table rate_budgets
    -- Why the token's work is held; null when it is not.
    add column hold text check (hold in ('unauthorized', 'outage')),
    -- Since when (database clock).
    add column hold_since timestamptz,
    -- The next probe may not leave before this moment; the process that
    -- claims a probe moves it one probe interval on.
    add column probe_at timestamptz,
    -- 5xx and connection failures in a row, over every process of the token
    -- (a success sets it back to 0).
    add column failures integer not null default 0;
