-- The token's requests in flight, shared by its processes (see
-- src/budget/shares.rs). Asana rejects more than 50 concurrent reads per
-- token; the rate budget bounds arrivals, not concurrency, so each process
-- holds a share of the token's in-flight cap here, renewed under a lease:
-- the live shares never add up to more than the cap.
create table rate_budget_shares (
    key text not null references rate_budgets (key) on delete cascade,
    -- One process's (one client's) budget instance.
    member uuid not null,
    -- In-flight slots it holds: at least its requests in flight now.
    held integer not null check (held >= 0),
    -- The share lapses (and its slots go back) unless renewed by then.
    expires_at timestamptz not null,
    primary key (key, member)
);

-- Renews `p_member`'s share of the token's cap and returns how many
-- requests it may have in flight now. Under the budget row's lock: drops
-- lapsed shares, sets the fair share `cap / live members` (at least 1, at
-- most `p_want`), grows toward it only from free slots, shrinks toward it
-- only as the member's requests in flight (`p_in_use`) finish. So the held
-- slots of live members never exceed `p_cap`, and every member converges
-- to its fair share within a renewal or two.
create function share_in_flight(
    p_key text, p_member uuid, p_cap integer, p_want integer, p_in_use integer,
    p_lease_us bigint
) returns integer
language plpgsql as $$
declare
    now_ timestamptz;
    mine integer;
    members integer;
    others integer;
    target integer;
    granted integer;
begin
    insert into rate_budgets (key, next_slot, updated_at)
    values (p_key, clock_timestamp(), clock_timestamp())
    on conflict (key) do nothing;
    perform 1 from rate_budgets where key = p_key for update;
    now_ := clock_timestamp();
    delete from rate_budget_shares
    where key = p_key and expires_at <= now_ and member <> p_member;
    select coalesce(max(held) filter (where expires_at > now_), 0) into mine
    from rate_budget_shares where key = p_key and member = p_member;
    select count(*) + 1, coalesce(sum(held), 0) into members, others
    from rate_budget_shares where key = p_key and member <> p_member;
    target := least(p_want, greatest(p_cap / members, 1));
    if target >= mine then
        granted := least(target, greatest(p_cap - others, 0));
    else
        granted := greatest(target, least(p_in_use, mine));
    end if;
    insert into rate_budget_shares (key, member, held, expires_at)
    values (p_key, p_member, granted, now_ + p_lease_us * interval '1 microsecond')
    on conflict (key, member) do update
        set held = excluded.held, expires_at = excluded.expires_at;
    return least(granted, target);
end
$$;

comment on function share_in_flight(text, uuid, integer, integer, integer, bigint) is
    'Renews a process''s share of its token''s in-flight cap; returns its capacity now.';
