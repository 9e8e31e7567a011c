from luoshi.core.scoping import SYSTEM
from luoshi.ledger_io.management.commands._table_command import TableCommand
from luoshi.ledger_io.tables import import_orgs


class Command(TableCommand):
    help = "导入党组织（组织代码、组织名称、上级组织代码、组织类别，顺序不限）：全部通过才写入"

    def handle(self, *args, file, dry_run, as_json, **options):
        data, name = self.read(file)
        result = import_orgs(actor=SYSTEM, data=data, name=name, dry_run=dry_run)
        self.finish(result, as_json, "检查通过（未写入）" if dry_run else "已导入党组织")
