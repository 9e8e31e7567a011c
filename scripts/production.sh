#!/usr/bin/env bash
# The production layout on one machine: gunicorn serving the app, an RQ worker on Redis for the
# background work (ledger imports), PostgreSQL, static files compressed and hashed (WhiteNoise).
# Needs DATABASE_URL (PostgreSQL), SECRET_KEY, ALLOWED_HOSTS; REDIS_URL defaults to local Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL to the PostgreSQL database, e.g. postgres://luoshi@127.0.0.1:5432/luoshi}"
: "${SECRET_KEY:?set SECRET_KEY}"
export TASKS_BACKEND=rq CACHE_BACKEND=redis DEBUG=0 STATIC_MANIFEST=1
# The TLS proxy in front (its addresses or networks, comma separated): the client's address is
# read from its X-Forwarded-For (core/clients.py). Default: a proxy on this machine.
export TRUSTED_PROXIES="${TRUSTED_PROXIES-127.0.0.1,::1}"
export STATIC_ROOT="${STATIC_ROOT:-${LUOSHI_VAR:-$PWD/var}/static}"
./scripts/bootstrap.sh
.venv/bin/luoshi migrate --no-input
.venv/bin/luoshi collectstatic --no-input -v0
.venv/bin/luoshi check --deploy
.venv/bin/luoshi rqworker default --job-class django_tasks_rq.Job &
worker=$!
# The scheduler: queues the reminders' sweep (三色督办, daily digests) once a day for the worker.
.venv/bin/luoshi sweep-reminders --loop &
scheduler=$!
trap 'kill $worker $scheduler 2>/dev/null' EXIT
exec_bind="${BIND:-127.0.0.1:8000}"
# One sync worker per core (WEB_WORKERS): the pages are CPU-bound Python and PostgreSQL shares the
# cores; more workers only contend for them (W8, docs/capacity.md: 2 workers 157 requests/s on 2
# cores, 3 147, 5 121, 8 104). Long work (imports, Word reports) runs in the RQ worker.
# Requests are logged by the TLS proxy in front; ACCESS_LOG=- (or a file) logs them here too
# (about half a millisecond of a worker's CPU per request).
access_log=()
if [ -n "${ACCESS_LOG:-}" ]; then access_log=(--access-logfile "$ACCESS_LOG"); fi
# The request line, the number of headers and each header's size are bounded here; the body by
# the TLS proxy (client_max_body_size, the same as MAX_REQUEST_MB) and by the app, which refuses a
# declared length over its limit before reading any of it (413).
.venv/bin/gunicorn luoshi.wsgi:application --bind "$exec_bind" \
  --workers "${WEB_WORKERS:-$(nproc)}" --threads "${WEB_THREADS:-1}" --timeout 120 \
  --limit-request-line 4094 --limit-request-fields 60 --limit-request-field_size 8190 \
  --preload "${access_log[@]}" --error-logfile - \
  --control-socket "${LUOSHI_VAR:-$PWD/var}/gunicorn.ctl"
