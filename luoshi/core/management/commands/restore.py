import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from luoshi.core.backup import BackupError, restore


class Command(BaseCommand):
    help = "把备份恢复到空数据库，并核对每一个统计数字"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--force", action="store_true", help="允许覆盖已有数据")

    def handle(self, *args, file, force, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到备份文件 {file}")
        try:
            result = restore(path, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if result["expected"] != result["restored"]:
            self.stderr.write(json.dumps(result, ensure_ascii=False))
            raise CommandError("恢复后的统计数字与备份时不一致")
        self.stdout.write(f"已恢复 {file}；{len(result['expected'])} 棵组织树的全部统计数字一致")
