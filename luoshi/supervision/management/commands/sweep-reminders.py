import time
from datetime import date, datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone


class Command(BaseCommand):
    help = (
        "三色督办：按规则下发到期提醒和督办单并推送每日汇总（可重复运行，不会重复下发或推送）；"
        "--loop 常驻，每天 REMINDER_HOUR 时把督办任务放入任务队列（与 worker 一起运行）"
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按这一天运行（YYYY-MM-DD），默认今天")
        parser.add_argument("--loop", action="store_true", help="常驻，每天入队一次")
        parser.add_argument("--no-send", action="store_true", help="只下发，不推送邮件和消息")

    def handle(self, *args, date: str | None, loop: bool, no_send: bool, **options):
        if loop:
            return self._loop()
        from luoshi.supervision.services import sweep

        try:
            day = _parse(date) if date else None
        except ValueError:
            raise CommandError("日期应写作 YYYY-MM-DD，如 2026-03-31") from None
        result = sweep(day, send=not no_send)
        self.stdout.write(result.summary())

    def _loop(self) -> None:
        """Queue the sweep once a day at REMINDER_HOUR (and at start when that hour has passed);
        the worker runs it. Running it twice in a day is harmless (the sweep is idempotent)."""
        from luoshi.supervision.tasks import sweep_reminders

        last = None
        while True:
            now = timezone.localtime()
            if now.hour >= settings.REMINDER_HOUR and last != now.date():
                sweep_reminders.enqueue(now.date().isoformat())
                last = now.date()
                self.stdout.write(f"{now:%Y-%m-%d %H:%M} 已将督办任务放入队列")
            time.sleep(300)


def _parse(text: str) -> date:
    return datetime.strptime(text, "%Y-%m-%d").date()
