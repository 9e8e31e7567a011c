"""The production layout's static step: `luoshi collectstatic` into hashed, compressed files
(what scripts/production.sh runs before gunicorn starts) succeeds, and the pages' own files are
in the manifest."""

import json
import os
import subprocess
import sys

import pytest
from django.db import connection

pytestmark = pytest.mark.slow


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="static files do not depend on the database"
)
def test_collectstatic_with_the_manifest_storage_succeeds(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(STATIC_MANIFEST="1", STATIC_ROOT=str(tmp_path / "static"), LUOSHI_VAR=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-m", "luoshi.cli", "collectstatic", "--no-input", "-v0"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    paths = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]
    for name in ("vendor/tabler/css/tabler.min.css", "vendor/htmx/htmx.min.js"):
        hashed = tmp_path / "static" / paths[name]
        assert hashed.exists() and hashed.with_name(hashed.name + ".gz").exists()
    assert not [p for p in paths if p.endswith((".map", "package.json"))]


def test_production_settings_keep_database_connections_and_read_sessions_from_the_cache():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        DATABASE_URL="postgres://luoshi@127.0.0.1:5432/luoshi",
        CACHE_BACKEND="redis",
        DJANGO_SETTINGS_MODULE="luoshi.settings",
    )
    code = (
        "from django.conf import settings as s; d = s.DATABASES['default'];"
        "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'], s.SESSION_ENGINE)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["60", "True", "django.contrib.sessions.backends.cached_db"]


def test_the_web_servers_master_loads_the_search_words_and_hands_no_connection_to_its_workers(
    tmp_path,
):
    """gunicorn runs with --preload: what luoshi.wsgi loads before the fork (jieba's dictionary,
    some 70 MB) is shared by the workers, and no database connection opened at start-up is."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(LUOSHI_VAR=str(tmp_path), DJANGO_SETTINGS_MODULE="luoshi.settings")
    code = (
        "import luoshi.wsgi, jieba; from django.db import connections;"
        "print(jieba.dt.initialized, [c.connection is None for c in connections.all()])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip().split(maxsplit=1) == ["True", "[True]"]
    assert "--preload" in open("scripts/production.sh").read()
