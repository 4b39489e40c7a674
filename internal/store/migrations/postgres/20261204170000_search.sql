-- Free-text search (internal/fulltext), hand-written: ent models no extension, function or
-- expression index. unaccent() is only STABLE (its dictionary can be changed), so qualify_fold
-- pins the dictionary to be usable in an index. The documents are functions so that the indexes
-- and the queries spell the very same expression. Existing rows are indexed by CREATE INDEX.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public;
CREATE FUNCTION public.qualify_fold(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, t)) $$;
CREATE FUNCTION public.qualify_lead_doc(first_name text, last_name text, email text, company_name text, job_title text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT public.qualify_fold(coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' || coalesce(email, '') || ' ' || coalesce(company_name, '') || ' ' || coalesce(job_title, '')) $$;
CREATE FUNCTION public.qualify_contact_doc(first_name text, last_name text, email text, title text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT public.qualify_fold(coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' || coalesce(email, '') || ' ' || coalesce(title, '')) $$;
CREATE FUNCTION public.qualify_account_doc(name text, domain text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT public.qualify_fold(coalesce(name, '') || ' ' || coalesce(domain, '')) $$;
-- The words of a document: '@', '.' and '_' split like spaces, so "acm" finds jane@acme.io as
-- SQLite's FTS5 tokenizer does; fragments ("@acme.io") go to the trigram index instead.
CREATE FUNCTION public.qualify_words(doc text) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  AS $$ SELECT to_tsvector('simple'::regconfig, translate(doc, '@._', '   ')) $$;
CREATE INDEX "leads_search_words" ON "leads" USING gin (public.qualify_words(public.qualify_lead_doc(first_name, last_name, email, company_name, job_title)));
CREATE INDEX "leads_search_trigrams" ON "leads" USING gin (public.qualify_lead_doc(first_name, last_name, email, company_name, job_title) public.gin_trgm_ops);
CREATE INDEX "contacts_search_words" ON "contacts" USING gin (public.qualify_words(public.qualify_contact_doc(first_name, last_name, email, title)));
CREATE INDEX "contacts_search_trigrams" ON "contacts" USING gin (public.qualify_contact_doc(first_name, last_name, email, title) public.gin_trgm_ops);
CREATE INDEX "accounts_search_words" ON "accounts" USING gin (public.qualify_words(public.qualify_account_doc(name, domain)));
CREATE INDEX "accounts_search_trigrams" ON "accounts" USING gin (public.qualify_account_doc(name, domain) public.gin_trgm_ops);
-- A lead is found through its contacts: the join table's key starts with lead_id, so the lookup by
-- contact needs its own index.
CREATE INDEX "lead_contacts_search_contact" ON "lead_contacts" ("contact_id", "lead_id");
