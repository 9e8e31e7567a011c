from django.core.management.base import BaseCommand, CommandError

from luoshi.campaigns.models import Campaign
from luoshi.core.scoping import SYSTEM
from luoshi.ledger_io.services import export_ledger
from luoshi.orgs.models import Organization
from luoshi.rectification.selectors import LedgerFilter


class Command(BaseCommand):
    help = "导出整改台账（标准版式 .xlsx）"
    # The system checks import every URL and the API (a third of a second) and check nothing
    # this command uses; `luoshi check --deploy` and the server run them.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="组织代码：导出该组织及其下级的台账")
        parser.add_argument("--campaign", help="主题教育标识（默认：全部）")
        parser.add_argument("-o", "--output", required=True, help="输出文件路径（.xlsx）")

    def handle(self, *args, org, campaign, output, **options):
        target = Organization.objects.filter(code=org).first()
        if target is None:
            raise CommandError(f"没有组织代码为 {org} 的党组织")
        chosen = None
        if campaign:
            chosen = Campaign.objects.filter(slug=campaign).first()
            if chosen is None:
                raise CommandError(f"没有标识为 {campaign} 的主题教育")
        title = f"{target.name}{chosen.name if chosen else ''}问题整改台账"
        count = export_ledger(
            user=SYSTEM,
            ledger_filter=LedgerFilter(
                org_path=target.path, campaign_id=chosen.pk if chosen else None
            ),
            target=output,
            title=title,
            unit=target.name,
        )
        self.stdout.write(f"已导出 {count} 个问题到 {output}")
