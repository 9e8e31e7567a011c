from django.core.management.base import CommandError

from luoshi.core.scoping import SYSTEM
from luoshi.ledger_io.management.commands._table_command import TableCommand
from luoshi.ledger_io.tables import import_members
from luoshi.orgs.models import Organization


class Command(TableCommand):
    help = "导入党员名册（姓名、性别、出生年月、入党时间、所在党组织、人员类别）：全部通过才写入"

    def add_arguments(self, parser):
        TableCommand.add_arguments(self, parser)
        parser.add_argument("--org", required=True, help="这些党员所在党组织的上级组织代码")

    def handle(self, *args, file, org, dry_run, as_json, **options):
        under = Organization.objects.filter(code=org).first()
        if under is None:
            raise CommandError(f"没有组织代码为 {org} 的党组织")
        data, name = self.read(file)
        result = import_members(actor=SYSTEM, data=data, name=name, under=under, dry_run=dry_run)
        self.finish(result, as_json, "检查通过（未写入）" if dry_run else "已导入党员")
