from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.rectification.conftest import _media, campaign, ledger, people  # noqa: F401


def at(day):
    """An aware noon of `day` in the project's time zone (for time_machine)."""
    return timezone.make_aware(datetime.combine(day, time(12)))


@pytest.fixture
def clock():
    """A clock the test moves: clock.to(day) travels to noon of that day."""

    class Clock:
        def __init__(self):
            self.traveller = None

        def to(self, day):
            if self.traveller is not None:
                self.traveller.stop()
            self.traveller = time_machine.travel(at(day), tick=False)
            self.traveller.start()
            return day

    c = Clock()
    yield c
    if c.traveller is not None:
        c.traveller.stop()


def days(n):
    return timedelta(days=n)
