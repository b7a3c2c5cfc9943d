-- PostgreSQL set-up for NextSteps, run once as the postgres superuser:
--   sudo -u postgres psql -v pw="'a-long-random-password'" -f deploy/postgresql/setup.sql
-- The app's role owns its database and nothing else: no superuser, no CREATEDB.
CREATE ROLE nextsteps LOGIN PASSWORD :pw;
CREATE DATABASE nextsteps OWNER nextsteps ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE nextsteps FROM PUBLIC;
\connect nextsteps
-- PostgreSQL 15+ no longer lets every role create in public; the owner still can.
ALTER SCHEMA public OWNER TO nextsteps;
