from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404
from django.utils import timezone

from luoshi.accounts.models import ApiToken
from luoshi.accounts.tokens import issue_token, revoke_token
from luoshi.core.errors import Invalid


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"


class Command(BaseCommand):
    help = (
        "接口令牌（Bearer token）：luoshi token 账号 [--days N] 生成一个新令牌（只显示这一次）；"
        "--list 账号 列出该账号的令牌；--revoke 编号 撤销一个令牌"
    )

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?")
        parser.add_argument("--days", type=int, default=None, help="有效天数（默认 90 天）")
        parser.add_argument("--label", default="", help="用途说明")
        parser.add_argument("--list", action="store_true", help="列出该账号的令牌")
        parser.add_argument("--revoke", type=int, metavar="ID", help="撤销该编号的令牌")

    def handle(self, *args, username, days, label, list, revoke, **options):
        if revoke is not None:
            try:
                token = revoke_token(actor=None, token_id=revoke)
            except Http404:
                raise CommandError(f"没有编号为 {revoke} 的令牌") from None
            self.stdout.write(
                f"已撤销令牌 {token.pk}（{token.user.get_username()}，{token.prefix}…）"
            )
            return
        if not username:
            raise CommandError("请给出账号，例如 luoshi token city_office")
        users = get_user_model().objects.filter(username=username)
        if list:
            user = users.first()
            if user is None:
                raise CommandError(f"没有名为 {username} 的账号")
            self._list(user)
            return
        user = users.filter(is_active=True).first()
        if user is None:
            raise CommandError(f"没有名为 {username} 的有效账号")
        try:
            self.stdout.write(issue_token(user, days=days, label=label))
        except Invalid as error:
            raise CommandError(str(error)) from None

    def _list(self, user):
        now = timezone.now()
        self.stdout.write("编号\t前缀\t用途\t创建时间\t最近使用\t有效期至\t状态")
        for t in ApiToken.objects.filter(user=user):
            state = (
                f"已撤销 {_when(t.revoked_at)}"
                if t.revoked_at
                else "已过期"
                if t.expires_at is None or t.expires_at <= now
                else "有效"
            )
            row = (t.pk, t.prefix + "…", t.label or "—", _when(t.created_at))
            row += (_when(t.last_used_at), _when(t.expires_at), state)
            self.stdout.write("\t".join(str(v) for v in row))
