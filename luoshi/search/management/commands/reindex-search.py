import time

from django.core.management.base import BaseCommand

from luoshi.search import services
from luoshi.search.models import Kind


class Command(BaseCommand):
    help = "按数据重建全文检索索引（问题、整改措施、意见建议、学习教育、调查研究）"

    def handle(self, *args, **options):
        started = time.perf_counter()
        counts = services.rebuild()
        for kind, n in counts.items():
            self.stdout.write(f"{Kind(kind).label}：{n} 条")
        self.stdout.write(
            f"共 {sum(counts.values())} 条，用时 {time.perf_counter() - started:.1f} 秒"
        )
