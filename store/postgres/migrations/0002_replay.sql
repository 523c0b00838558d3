-- hookstream PostgreSQL schema, version 2: replay jobs. {s} is the
-- store's schema, quoted.

-- A job is a configuration-style resource (data holds it as JSON) whose
-- status and claim are columns too: ClaimReplays finds the running jobs
-- whose lease has expired through replay_jobs_running, and SaveReplay
-- compares lease_owner. A job references nothing: deleting its
-- destination, source or connection is never refused because of it.
CREATE TABLE {s}.replay_jobs (
	id          text PRIMARY KEY,
	org_id      text NOT NULL,
	env_id      text NOT NULL,
	seq         bigint GENERATED ALWAYS AS IDENTITY,
	created_at  timestamptz NOT NULL,
	status      text NOT NULL,
	lease_owner text NOT NULL,
	lease_until timestamptz NOT NULL,
	data        json NOT NULL
);
CREATE INDEX replay_jobs_list ON {s}.replay_jobs (org_id, env_id, created_at, seq);
CREATE INDEX replay_jobs_org_list ON {s}.replay_jobs (org_id, created_at, seq);
CREATE INDEX replay_jobs_running ON {s}.replay_jobs (created_at, seq) WHERE status = 'running';
