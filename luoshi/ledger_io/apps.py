from django.apps import AppConfig


class LedgerIoConfig(AppConfig):
    name = "luoshi.ledger_io"
    label = "ledger_io"
    verbose_name = "台账导入导出"
