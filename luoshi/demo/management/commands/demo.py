import io
import json

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from luoshi.orgs.models import Organization


class Command(BaseCommand):
    help = "迁移数据库；库为空时生成演示城市；打印演示账号并在 127.0.0.1:8000 启动服务"

    def add_arguments(self, parser):
        parser.add_argument("--scale", default="city", choices=["tiny", "city", "province"])
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--no-serve", action="store_true", help="只准备数据，不启动服务")

    def handle(self, *args, scale, addr, no_serve, **options):
        call_command("migrate", verbosity=0)
        accounts_file = settings.VAR_DIR / "demo-accounts.json"
        if not Organization.objects.exists():
            self.stdout.write(f"正在生成演示数据（{scale}）……")
            out = io.StringIO()
            call_command("seed", scale=scale, json=True, stdout=out)
            accounts_file.write_text(out.getvalue())
            accounts_file.chmod(0o600)
        # 三色督办: the day's reminders and 督办单 (idempotent: nothing is issued or sent twice)
        call_command("sweep-reminders", stdout=io.StringIO())
        if accounts_file.exists():
            seeded = json.loads(accounts_file.read_text())
            self.stdout.write(
                f"演示数据：党组织 {seeded['organizations']} 个，党员 {seeded['members']} 名"
            )
            self.stdout.write("演示账号（账号  密码  组织代码  角色）：")
            for a in seeded["accounts"]:
                self.stdout.write(
                    f"  {a['username']:<15} {a['password']:<14} {a['org']:<14} {a['role']}"
                )
        if not no_serve:
            self.stdout.write(f"打开 http://{addr}/ 登录")
            call_command("runserver", addr, use_reloader=False)
