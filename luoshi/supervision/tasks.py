"""The sweep on the task queue: enqueued once a day by `luoshi sweep-reminders --loop` (run next
to the worker, scripts/production.sh); run in the process with the immediate backend."""

from datetime import date

from django.tasks import task


@task
def sweep_reminders(day: str | None = None) -> str:
    from luoshi.supervision.services import sweep

    return sweep(date.fromisoformat(day) if day else None).summary()
