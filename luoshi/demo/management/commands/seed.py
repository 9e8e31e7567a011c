import json
import random
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from luoshi.accounts.seeding import create_demo_accounts
from luoshi.core import tallies
from luoshi.core.audit import record_event
from luoshi.core.models import AuditEvent
from luoshi.core.registry import SEED_STEPS
from luoshi.orgs.models import Organization
from luoshi.orgs.seeding import SCALES, build_tree, write_tree


class SeedContext:
    """What later seed steps (campaigns, problems...) build on."""

    def __init__(self, scale, rng, tree, accounts):
        self.scale = scale
        self.rng = rng
        self.root = tree.root
        self.tree = tree
        self.accounts = accounts
        self.campaign_slug = None


class Command(BaseCommand):
    help = "生成确定的演示数据：组织树、党员、领导班子和演示账号（只在空库上运行）"

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="tiny")
        parser.add_argument("--seed", type=int, default=2023)
        parser.add_argument("--json", action="store_true", help="只在标准输出打印 JSON 结果")

    def handle(self, *args, scale, seed, json: bool, **options):
        if Organization.objects.exists():
            raise CommandError(
                "数据库中已有党组织，演示数据只在空库上生成；如需重建请先运行 luoshi flush"
            )
        started = time.monotonic()
        rng = random.Random(seed)
        with transaction.atomic():
            tree = write_tree(build_tree(scale, rng), rng)
            accounts = create_demo_accounts(tree.root, random.Random(seed))
            context = SeedContext(scale, rng, tree, accounts)
            with tallies.deferred():
                for step in SEED_STEPS:
                    step(context)
            record_event(AuditEvent.Kind.SEEDED, org_path=tree.root.path, scale=scale, seed=seed)
        # Statistics for the planners after a bulk load: without them PostgreSQL (autovacuum
        # may be off or late) and SQLite pick full scans for the subtree ranges. On PostgreSQL
        # VACUUM also marks the new pages all-visible, as autovacuum would, so that the
        # dashboards' counts are index-only scans from the start.
        with connection.cursor() as cursor:
            vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
            cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
        result = {
            "root": tree.root.code,
            "campaign": context.campaign_slug,
            "organizations": tree.organizations,
            "members": tree.members,
            "accounts": [
                {k: a[k] for k in ("username", "password", "org", "role")} for a in accounts
            ],
        }
        if json:
            self.stdout.write(_json(result))
            return
        self.stdout.write(
            f"已生成 {tree.root.name}：党组织 {tree.organizations} 个，党员 {tree.members} 名，"
            f"用时 {time.monotonic() - started:.1f} 秒"
        )
        self.stdout.write("演示账号（账号 / 密码 / 组织 / 角色）：")
        for a in accounts:
            self.stdout.write(
                f"  {a['username']:<15} {a['password']:<14} {a['org_name']} · {a['role_label']}"
            )


def _json(data) -> str:
    return json.dumps(data, ensure_ascii=False)
