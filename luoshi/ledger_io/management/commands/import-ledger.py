from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from luoshi.campaigns.models import Campaign
from luoshi.core.scoping import SYSTEM
from luoshi.ledger_io.importer import Mapping, import_ledger
from luoshi.ledger_io.services import error_report
from luoshi.orgs.models import Organization


class Command(BaseCommand):
    help = "导入整改台账（.xlsx / .xls / .csv）：全部通过才写入；重复导入不产生变化"
    # The system checks import every URL and the API (a third of a second) and check nothing
    # this command uses; `luoshi check --deploy` and the server run them.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--org", required=True, help="台账所属组织的组织代码")
        parser.add_argument("--campaign", help="主题教育标识（默认：该组织所在的最新一次）")
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入")
        parser.add_argument("--report", help="把出错的单元格标红并加批注，另存到此路径")
        parser.add_argument(
            "--json", dest="as_json", action="store_true", help="只在标准输出打印 JSON 结果"
        )
        parser.add_argument(
            "--map",
            dest="maps",
            action="append",
            default=[],
            metavar="OLD=NEW",
            help="把台账中的问题类别或来源“OLD”读作本次主题教育已有的“NEW”（可重复；"
            "导入成功后该组织下次导入时沿用）",
        )
        parser.add_argument(
            "--add-missing",
            action="store_true",
            help="把本次主题教育没有的问题类别和来源按原文新增（须有主题教育办公室的权限）",
        )

    def handle(
        self, *args, file, org, campaign, dry_run, report, as_json, maps, add_missing, **options
    ):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件 {file}")
        target = Organization.objects.filter(code=org).first()
        if target is None:
            raise CommandError(f"没有组织代码为 {org} 的党组织")
        chosen = None
        if campaign:
            chosen = Campaign.objects.filter(slug=campaign).first()
            if chosen is None:
                raise CommandError(f"没有标识为 {campaign} 的主题教育")
        mappings = []
        for item in maps:
            old, sep, new = item.partition("=")
            if not sep or not old.strip() or not new.strip():
                raise CommandError(f"--map 须写成 原写法=本次主题教育的写法，而不是“{item}”")
            mappings.append(Mapping("", old.strip(), new.strip()))
        data = path.read_bytes()
        result = import_ledger(
            actor=SYSTEM,
            data=data,
            name=path.name,
            org=target,
            campaign=chosen,
            dry_run=dry_run,
            mappings=mappings,
            add_missing=add_missing,
        )
        if report and result.errors:
            error_report(data, path.name, result.errors, report)
        if as_json:
            self.stdout.write(_dumps(result.as_json()))
        else:
            self._print(result, dry_run)
        if result.errors:
            raise SystemExit(1)

    def _print(self, result, dry_run):
        for e in result.errors:
            where = (
                f"{e.sheet} 第{e.row}行" + (f" {e.column}列" if e.column else "")
                if e.row
                else e.sheet
            )
            self.stderr.write(f"错误：{where}：{e.message}")
        for w in result.warnings:
            where = f"{w.sheet} 第{w.row}行" if w.row else w.sheet
            self.stdout.write(f"提示：{where}：{w.message}")
        if result.errors:
            if result.unknown:
                self.stderr.write(
                    "本次主题教育没有的类别或来源："
                    + "、".join(f"“{u['value']}”" for u in result.unknown)
                    + "。可用 --map 原写法=已有写法 对应（可重复），或加 --add-missing 按原文新增。"
                )
            self.stderr.write(f"共 {len(result.errors)} 处错误，未写入任何数据。")
            return
        verb = "检查通过（未写入）" if dry_run else "已导入"
        self.stdout.write(
            f"{verb}：问题 {result.problems} 个、措施 {result.measures} 条；新增问题 "
            f"{result.created_problems}、更新问题 {result.updated_problems}、新增措施 "
            f"{result.created_measures}、更新措施 {result.updated_measures}、新增进展 "
            f"{result.progress_added}"
        )


def _dumps(data) -> str:
    import json

    return json.dumps(data, ensure_ascii=False)
