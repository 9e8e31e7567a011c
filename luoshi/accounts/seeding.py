"""Demo accounts at several levels of a seeded tree, with passwords derived from the seed."""

import random
import string

from django.contrib.auth import get_user_model

from luoshi.accounts.models import Assignment, Role
from luoshi.orgs.models import Organization, OrgKind, OrgLevel, UnitType


def _password(rng: random.Random) -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "demo-" + "".join(rng.choice(alphabet) for _ in range(8))


def _first(root: Organization, **filters) -> Organization:
    return Organization.objects.in_subtree(root.path).filter(**filters).order_by("path").first()


def create_demo_accounts(root: Organization, rng: random.Random) -> list[dict]:
    counties = list(
        Organization.objects.in_subtree(root.path)
        .filter(level=OrgLevel.COUNTY, unit_type=UnitType.REGION)
        .order_by("parent_id", "sort_order", "id")[:2]
    )
    county_a, county_b = counties[0], counties[1]
    branch_a = _first(county_a, kind=OrgKind.BRANCH, unit_type=UnitType.VILLAGE)
    branch_b = _first(county_b, kind=OrgKind.BRANCH, unit_type=UnitType.COMMUNITY) or _first(
        county_b, kind=OrgKind.BRANCH
    )
    plan = [
        ("admin", "系统管理员", [(root, Role.ADMIN)]),
        ("city_office", f"{root.short_name}主题教育办", [(root, Role.OFFICE)]),
        ("leader", f"{root.short_name}领导", [(root, Role.LEADER)]),
        ("county_liaison", f"{county_a.short_name}联络员", [(county_a, Role.LIAISON)]),
        ("guidance", "第一指导组成员", [(county_a, Role.GUIDANCE), (county_b, Role.GUIDANCE)]),
        ("branch_a", f"{branch_a.name}联络员", [(branch_a, Role.LIAISON)]),
        ("branch_b", f"{branch_b.name}联络员", [(branch_b, Role.LIAISON)]),
        # the restricted registers' holders (luoshi.registers): they alone see those registers
        ("discipline", f"{root.short_name}纪委监委干部", [(root, Role.DISCIPLINE)]),
        ("org_dept", f"{root.short_name}委组织部干部", [(root, Role.ORGANIZATION_DEPT)]),
    ]
    User = get_user_model()
    accounts = []
    for username, full_name, assignments in plan:
        password = _password(rng)
        user = User.objects.create_user(
            username=username, password=password, first_name=full_name[:150]
        )
        for org, role in assignments:
            Assignment.objects.create(user=user, org=org, role=role)
            accounts.append(
                {
                    "username": username,
                    "password": password,
                    "org": org.code,
                    "role": role.value,
                    "org_name": org.name,
                    "role_label": role.label,
                }
            )
    return accounts
