from django.core.management.base import BaseCommand, CommandError

from luoshi.campaigns.models import Campaign
from luoshi.core.scoping import SYSTEM
from luoshi.dashboards.reports import statistics_xlsx, word_report
from luoshi.orgs.models import Organization


class Command(BaseCommand):
    help = "生成报表：statistics 统计表（.xlsx）；progress 进展情况报告、summary 综述（.docx）"

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="组织代码")
        parser.add_argument("--campaign", help="主题教育标识（默认：最新一次）")
        parser.add_argument("--kind", required=True, choices=["statistics", "progress", "summary"])
        parser.add_argument("-o", "--output", required=True)

    def handle(self, *args, org, campaign, kind, output, **options):
        target = Organization.objects.filter(code=org).first()
        if target is None:
            raise CommandError(f"没有组织代码为 {org} 的党组织")
        chosen = (
            Campaign.objects.filter(slug=campaign).first()
            if campaign
            else Campaign.objects.order_by("-starts_on").first()
        )
        if campaign and chosen is None:
            raise CommandError(f"没有标识为 {campaign} 的主题教育")
        if kind == "statistics":
            statistics_xlsx(user=SYSTEM, org=target, campaign=chosen, target=output)
        else:
            word_report(user=SYSTEM, org=target, campaign=chosen, kind=kind, target=output)
        self.stdout.write(f"已生成 {output}")
