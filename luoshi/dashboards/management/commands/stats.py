import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from luoshi.core.registry import subtree_figures, subtree_figures_as_of
from luoshi.orgs.models import Organization


class Command(BaseCommand):
    help = "打印某个党组织及其全部下级的统计数字（与统计看板一致）"

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="组织代码")
        parser.add_argument("--json", action="store_true")
        parser.add_argument(
            "--as-of",
            dest="as_of",
            help="某日日终的数字（YYYY-MM-DD）：只打印能按历史日期计算的数字",
        )

    def handle(self, *args, org: str, json: bool, as_of: str | None = None, **options):
        found = Organization.objects.filter(code=org).first()
        if found is None:
            raise CommandError(f"没有组织代码为 {org} 的党组织")
        if as_of:
            try:
                day = date.fromisoformat(as_of)
            except ValueError:
                raise CommandError(f"日期 {as_of} 不正确，应写作 2026-03-31") from None
            then = {"org": found.code, "as_of": day.isoformat()}
            then |= subtree_figures_as_of(found.path, day)
            self.stdout.write(
                _dumps(then) if json else "\n".join(f"{k}: {v}" for k, v in then.items())
            )
            return
        figures = {"org": found.code, "name": found.name, **subtree_figures(found.path)}
        from luoshi.accounts.selectors import accounts_by_role

        figures["accounts_by_role"] = accounts_by_role(found.path)
        from luoshi.campaigns.batches import subtree_batches

        figures["campaign_batches"] = subtree_batches(found.path)
        if json:
            self.stdout.write(_dumps(figures))
            return
        for key, value in figures.items():
            self.stdout.write(f"{key}: {value}")


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False)
