from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from luoshi.accounts.tokens import issue_token


class Command(BaseCommand):
    help = "为用户生成一个新的接口令牌（Bearer token），只显示这一次"

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"没有名为 {username} 的有效账号")
        self.stdout.write(issue_token(user))
