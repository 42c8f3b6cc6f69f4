-- The host's own tables, in `public`, with names aegis also uses in its own
-- schema: they never meet.
create table tasks (id bigserial primary key, title text not null);
create table emails (id bigserial primary key, recipient text not null, sent_at timestamptz);
