"""How a person's daily digest leaves the system: e-mail through Django's SMTP backend (the
default mailer, MAILERS in settings, from EMAIL_HOST and the other EMAIL_* variables) and a
webhook for work messaging apps (WEBHOOK_URL: JSON is POSTed, in the shape the 企业微信 / 钉钉
robots take). A channel is any object with `name`, `enabled()`, `reaches(user)` and
`send(user, digest)`; `register` adds one (e.g. an SMS gateway)."""

import json
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage


@dataclass(frozen=True)
class Digest:
    day: str
    subject: str
    text: str
    items: list[dict]  # {"title", "url"}


class EmailChannel:
    name = "email"

    def enabled(self) -> bool:
        return settings.LUOSHI_EMAIL_DIGESTS

    def reaches(self, user) -> bool:
        return bool(user.email)

    def send(self, user, digest: Digest) -> None:
        EmailMessage(
            subject=digest.subject,
            body=digest.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[user.email],
        ).send(fail_silently=False)


class WebhookChannel:
    name = "webhook"

    def enabled(self) -> bool:
        return bool(settings.WEBHOOK_URL)

    def reaches(self, user) -> bool:
        return True

    def send(self, user, digest: Digest) -> None:
        body = {
            "msgtype": "text",
            "text": {"content": f"{digest.subject}\n{digest.text}"},
            "user": user.get_username(),
            "name": user.get_full_name() or user.get_username(),
            "day": digest.day,
            "items": digest.items,
        }
        request = urllib.request.Request(
            settings.WEBHOOK_URL,
            data=json.dumps(body, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json; charset=utf-8"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT) as response:
            if not 200 <= response.status < 300:
                raise OSError(f"webhook answered {response.status}")


CHANNELS: dict[str, object] = {"email": EmailChannel(), "webhook": WebhookChannel()}


def register(channel) -> None:
    CHANNELS[channel.name] = channel


def enabled() -> list:
    return [c for c in CHANNELS.values() if c.enabled()]
