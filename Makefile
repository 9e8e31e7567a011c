# The README's two commands: `make demo` and `make test`.
.PHONY: demo test lint bootstrap production

bootstrap:
	@./scripts/bootstrap.sh

## Install everything, migrate, seed the demo city if the database is empty, serve 127.0.0.1:8000.
demo: bootstrap
	DEMO=1 .venv/bin/luoshi demo

# Two test processes, each with its own test database; on PostgreSQL the transactional tests'
# flushes take turns (tests/conftest.py), since two at once ran the server out of lock slots
# (docs/decisions.md).
TEST_PROCESSES ?= 2

## The whole test suite, on the database DATABASE_URL names (SQLite in ./var by default).
test: bootstrap
	.venv/bin/ruff check luoshi tests bench
	.venv/bin/luoshi makemigrations --check --dry-run >/dev/null
	.venv/bin/pytest -n $(TEST_PROCESSES) --dist loadfile

lint: bootstrap
	.venv/bin/ruff format --check luoshi tests bench
	.venv/bin/ruff check luoshi tests bench

## Production layout: gunicorn + RQ worker on Redis + PostgreSQL (see README).
production:
	./scripts/production.sh
