"""Backups that can be taken while the application writes, and restored into an empty database.

A backup is one .tar file: the database (SQLite's online backup API, or pg_dump's custom
format), the evidence files, and a manifest with every root's figures, which a restore checks."""

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

from luoshi.core.registry import subtree_figures


class BackupError(RuntimeError):
    pass


def _figures() -> dict:
    from luoshi.orgs.models import Organization

    return {o.code: subtree_figures(o.path) for o in Organization.objects.filter(parent=None)}


def _pg_env() -> tuple[dict, list[str], str]:
    db = settings.DATABASES["default"]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    args = [
        "-h",
        db.get("HOST") or "localhost",
        "-p",
        str(db.get("PORT") or 5432),
        "-U",
        db.get("USER") or "postgres",
    ]
    return env, args, db["NAME"]


def backup(target: Path) -> dict:
    """Write a consistent backup of the database and the evidence files to `target`."""
    media = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        manifest = {
            "created_at": timezone.now().isoformat(),
            "vendor": connection.vendor,
            "figures": _figures(),
        }
        if connection.vendor == "sqlite":
            db_file = tmp_path / "database.sqlite3"
            source = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=30)
            dest = sqlite3.connect(db_file)
            with dest:
                source.backup(dest)  # a consistent snapshot while other connections write
            dest.close()
            source.close()
            name = "database.sqlite3"
        elif connection.vendor == "postgresql":
            env, args, dbname = _pg_env()
            db_file = tmp_path / "database.dump"
            done = subprocess.run(
                ["pg_dump", *args, "-Fc", "-f", str(db_file), dbname],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode:
                raise BackupError(f"pg_dump 失败：{done.stderr.strip()[:300]}")
            name = "database.dump"
        else:
            raise BackupError(f"不支持的数据库：{connection.vendor}")
        manifest["database"] = name
        with tarfile.open(target, "w") as tar:
            tar.add(db_file, arcname=name)
            if media.exists():
                tar.add(media, arcname="media")
            data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return manifest


def restore(source: Path, *, force: bool = False) -> dict:
    """Restore a backup into the configured (empty) database and media folder; returns the
    manifest's figures and the restored ones."""
    from luoshi.orgs.models import Organization

    with tarfile.open(source, "r") as tar, tempfile.TemporaryDirectory() as tmp:
        tar.extractall(tmp, filter="data")
        tmp_path = Path(tmp)
        manifest = json.loads((tmp_path / "manifest.json").read_text())
        if manifest["vendor"] != connection.vendor:
            raise BackupError(f"备份来自 {manifest['vendor']}，当前数据库是 {connection.vendor}")
        try:
            has_data = Organization.objects.exists()
        except Exception:  # no tables yet: an empty database
            has_data = False
        if has_data and not force:
            raise BackupError("当前数据库已有数据；恢复只写入空库（确需覆盖请加 --force）")
        if connection.vendor == "sqlite":
            connection.close()
            backup_db = sqlite3.connect(tmp_path / manifest["database"])
            live = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=30)
            with live:
                backup_db.backup(live)
            live.close()
            backup_db.close()
        else:
            env, args, dbname = _pg_env()
            connection.close()
            done = subprocess.run(
                [
                    "pg_restore",
                    *args,
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "-d",
                    dbname,
                    str(tmp_path / manifest["database"]),
                ],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode:
                raise BackupError(f"pg_restore 失败：{done.stderr.strip()[:300]}")
        media = tmp_path / "media"
        if media.exists():
            shutil.copytree(media, settings.MEDIA_ROOT, dirs_exist_ok=True)
    return {"expected": manifest["figures"], "restored": _figures()}
