from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from luoshi.core.backup import BackupError, backup


class Command(BaseCommand):
    help = "在线备份数据库和佐证材料（应用可照常写入）"

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", required=True, help="备份文件路径（.tar）")

    def handle(self, *args, output, **options):
        try:
            manifest = backup(Path(output))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        roots = "、".join(
            f"{code}（党组织 {f['organizations']}）" for code, f in manifest["figures"].items()
        )
        self.stdout.write(f"已备份到 {output}：{roots}")
