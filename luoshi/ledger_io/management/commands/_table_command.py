import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class TableCommand(BaseCommand):
    """Shared shape of the table imports: a file, --dry-run, --json, non-zero exit on errors."""

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入")
        parser.add_argument(
            "--json", dest="as_json", action="store_true", help="只在标准输出打印 JSON 结果"
        )

    def read(self, file) -> tuple[bytes, str]:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件 {file}")
        return path.read_bytes(), path.name

    def finish(self, result, as_json: bool, what: str) -> None:
        if as_json:
            self.stdout.write(json.dumps(result.as_json(), ensure_ascii=False))
        else:
            for e in result.errors:
                where = f"{e.sheet} 第{e.row}行 {e.column}列" if e.row else e.sheet
                self.stderr.write(f"错误：{where}：{e.message}")
            if not result.errors:
                self.stdout.write(
                    f"{what}：共 {result.rows} 行，新增 {result.created}，更新 {result.updated}"
                )
        if result.errors:
            if not as_json:
                self.stderr.write(f"共 {len(result.errors)} 处错误，未写入任何数据。")
            raise SystemExit(1)
