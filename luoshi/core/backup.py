"""Backups that can be taken while the application writes, and restored into an empty database.

A backup is one .tar file: the database (SQLite's online backup API, or pg_dump's custom
format), the stored files (evidence, opinion photos: from the filesystem or the S3-compatible store,
whichever settings.STORAGES["default"] names), and a manifest with every root's figures, which a
restore checks."""

import io
import json
import os
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from luoshi.core import versions
from luoshi.core.registry import organizations, subtree_figures


class BackupError(RuntimeError):
    pass


def _figures() -> dict:
    return {o.code: subtree_figures(o.path) for o in organizations().filter(parent=None)}


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


def _stored_files(folder: str = ""):
    """Every file in the file storage, as keys relative to its root."""
    try:
        folders, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{folder}{name}"
    for sub in folders:
        yield from _stored_files(f"{folder}{sub}/")


def backup_files(tar: tarfile.TarFile) -> int:
    """Add every stored file to the backup under media/; returns how many."""
    count = 0
    for key in _stored_files():
        info = tarfile.TarInfo(f"media/{key}")
        info.size = default_storage.size(key)
        with default_storage.open(key, "rb") as f:
            tar.addfile(info, f)
        count += 1
    return count


def restore_files(media: Path) -> int:
    """Put the files of an unpacked backup's media/ folder back into the file storage."""
    count = 0
    for path in sorted(p for p in media.rglob("*") if p.is_file()):
        key = path.relative_to(media).as_posix()
        if default_storage.exists(key):
            default_storage.delete(key)
        with open(path, "rb") as f:
            default_storage.save(key, File(f))
        count += 1
    return count


def backup(target: Path) -> dict:
    """Write a consistent backup of the database and the evidence files to `target`."""
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
            manifest["files"] = backup_files(tar)
            data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return manifest


def restore(source: Path, *, force: bool = False) -> dict:
    """Restore a backup into the configured (empty) database and media folder; returns the
    manifest's figures and the restored ones."""
    with tarfile.open(source, "r") as tar, tempfile.TemporaryDirectory() as tmp:
        tar.extractall(tmp, filter="data")
        tmp_path = Path(tmp)
        manifest = json.loads((tmp_path / "manifest.json").read_text())
        if manifest["vendor"] != connection.vendor:
            raise BackupError(f"备份来自 {manifest['vendor']}，当前数据库是 {connection.vendor}")
        try:
            has_data = organizations().exists()
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
        if (tmp_path / "media").exists():
            restore_files(tmp_path / "media")
    # Everything cached from the data before (figures, accounts: ids come back with other rows
    # behind them) is of another state: every version is new.
    versions.changed_everywhere()
    return {"expected": manifest["figures"], "restored": _figures()}
