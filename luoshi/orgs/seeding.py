"""The demo tree: a deterministic, realistic organisation tree with members and leadership teams.

`city` mirrors Yinchuan (exactly 4,601 organisations and 110,500 members); `province` is a region
of 14 such cities, larger (200,000 organisations, 3,000,000 members); `tiny` is for browsing and
quick tests. Built in memory, then written with COPY / executemany (see luoshi.core.bulk)."""

import random
from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from luoshi.core.bulk import insert_rows, next_id, reset_sequences
from luoshi.orgs import names as N
from luoshi.orgs.models import (
    MEMBER_COLUMNS,
    LeadershipTeam,
    Member,
    Organization,
    OrgKind,
    OrgLevel,
    TeamPosition,
)
from luoshi.orgs.models import UnitType as U
from luoshi.orgs.rollups import rebuild_org_tallies
from luoshi.orgs.titles import seed_seats

SCALES = {
    # organisations, members, county size factor
    "tiny": {"organizations": 40, "members": 900, "factor": 0.12},
    "city": {"organizations": 4601, "members": 110_500, "factor": 1.0},
    "province": {"organizations": 200_000, "members": 3_000_000, "factor": 1.9},
}
# Relative size of a branch's membership by the kind of unit it sits in.
MEMBER_WEIGHT = {
    U.VILLAGE: 32,
    U.COMMUNITY: 26,
    U.ENTERPRISE: 14,
    U.NONPUBLIC: 6,
    U.SCHOOL: 22,
    U.AGENCY: 16,
    U.HOSPITAL: 30,
    U.INSTITUTION: 18,
    U.REGION: 10,
    U.OTHER: 10,
}


@dataclass
class Node:
    name: str
    kind: str
    level: int
    unit: str
    short: str = ""
    code: str = ""
    team: bool = False
    children: list["Node"] = field(default_factory=list)
    members: int = 0
    grows: bool = False  # holds branches that the count adjustment may add or remove
    used: set = field(default_factory=set)  # labels of its branches, to keep them distinct

    def add(self, child: "Node") -> "Node":
        self.children.append(child)
        return child


def cn_number(n: int) -> str:
    """1..99 in Chinese numerals: 3 → 三, 12 → 十二, 25 → 二十五."""
    digits = "零一二三四五六七八九"
    tens, ones = divmod(n, 10)
    if tens == 0:
        return digits[ones]
    return f"{'' if tens == 1 else digits[tens]}十{digits[ones] if ones else ''}"


def _count(node: Node) -> int:
    return 1 + sum(_count(c) for c in node.children)


class TreeBuilder:
    def __init__(self, rng: random.Random, factor: float, region: str):
        self.rng = rng
        self.factor = factor
        self.region = region  # prefix of company names, e.g. 宁夏

    def n(self, low: int, high: int) -> int:
        """A count between low and high, scaled by the size factor, at least 1."""
        return max(1, round(self.rng.randint(low, high) * self.factor))

    def unique(self, make, used: set) -> str:
        for _ in range(50):
            name = make()
            if name not in used:
                used.add(name)
                return name
        name = f"{make()}{len(used) + 1}"
        used.add(name)
        return name

    def place(self) -> str:
        return self.rng.choice(N.PLACE_A) + self.rng.choice(N.PLACE_B)

    # --- branches, by the kind of unit that holds them ---------------------------------------
    def branch(self, holder: Node) -> Node:
        rng = self.rng
        used = holder.used
        unit = holder.unit
        if unit in (U.REGION, U.VILLAGE, U.COMMUNITY):
            roll = rng.random()
            if holder.name.endswith("街道党工委") and roll < 0.6 or roll < 0.08:
                label = self.unique(
                    lambda: rng.choice(N.COMMUNITY_A) + rng.choice(N.COMMUNITY_A) + "社区", used
                )
                return Node(f"{label}党支部", OrgKind.BRANCH, OrgLevel.GRASSROOTS, U.COMMUNITY)
            if roll < 0.75:
                label = self.unique(lambda: self.place() + "村", used)
                return Node(f"{label}党支部", OrgKind.BRANCH, OrgLevel.GRASSROOTS, U.VILLAGE)
            if roll < 0.92:
                label = self.unique(
                    lambda: (
                        self.region
                        + rng.choice(N.BRAND)
                        + rng.choice(N.BRAND)
                        + rng.choice(N.INDUSTRIES)
                        + "有限公司"
                    ),
                    used,
                )
                return Node(f"{label}党支部", OrgKind.BRANCH, OrgLevel.GRASSROOTS, U.NONPUBLIC)
            label = self.unique(lambda: self.place() + rng.choice(["小学", "中学", "幼儿园"]), used)
            return Node(f"{label}党支部", OrgKind.BRANCH, OrgLevel.GRASSROOTS, U.SCHOOL)
        pool = {
            U.HOSPITAL: N.HOSPITAL_BRANCHES,
            U.SCHOOL: N.SCHOOL_BRANCHES,
            U.ENTERPRISE: N.ENTERPRISE_BRANCHES,
        }.get(unit, N.AGENCY_BRANCHES)
        base = holder.short or holder.name
        index = len(used)
        label = pool[index] if index < len(pool) else f"第{index + 1}"
        used.add(label)
        return Node(f"{base}{label}党支部", OrgKind.BRANCH, OrgLevel.GRASSROOTS, unit)

    def fill(self, holder: Node, count: int) -> None:
        holder.grows = True
        for _ in range(count):
            holder.add(self.branch(holder))

    # --- a county (区/县/市) ---------------------------------------------------------------------
    def county(self, city_short: str, name: str, suffix: str) -> Node:
        county = Node(
            f"中共{city_short}{name}委员会",
            OrgKind.COMMITTEE,
            OrgLevel.COUNTY,
            U.REGION,
            short=f"{name}委",
            team=True,
        )
        used: set = set()
        self._streets(county, used)
        self._towns(county, name, used)
        self._county_organs(county, name)
        return county

    def _streets(self, county: Node, used: set) -> None:
        """The county's streets (街道党工委), each with its communities and units."""
        rng = self.rng
        for _ in range(self.n(3, 8)):
            label = self.unique(
                lambda: rng.choice(N.PLACE_A) + rng.choice(N.PLACE_B) + "街道", used
            )
            street = county.add(
                Node(
                    f"{label}党工委",
                    OrgKind.WORKING_COMMITTEE,
                    OrgLevel.TOWNSHIP,
                    U.REGION,
                    short=label,
                    team=True,
                )
            )
            self.fill(street, rng.randint(14, 34))

    def _towns(self, county: Node, name: str, used: set) -> None:
        """The county's towns and townships (乡镇党委); about half with a large village run by a
        general branch over its groups."""
        rng = self.rng
        for _ in range(self.n(3, 7)):
            town = self.unique(lambda: self.place() + rng.choice(["镇", "镇", "乡"]), used)
            node = county.add(
                Node(
                    f"中共{name}{town}委员会",
                    OrgKind.COMMITTEE,
                    OrgLevel.TOWNSHIP,
                    U.REGION,
                    short=f"{town}党委",
                    team=True,
                )
            )
            self.fill(node, rng.randint(14, 30))
            if rng.random() < 0.5:  # a large village runs a general branch over its groups
                village = self.unique(lambda: self.place() + "村", used)
                gb = node.add(
                    Node(
                        f"{village}党总支",
                        OrgKind.GENERAL_BRANCH,
                        OrgLevel.GRASSROOTS,
                        U.VILLAGE,
                        short=village,
                    )
                )
                for i in range(rng.randint(2, 4)):
                    gb.add(
                        Node(
                            f"{village}第{'一二三四'[i]}党支部",
                            OrgKind.BRANCH,
                            OrgLevel.GRASSROOTS,
                            U.VILLAGE,
                        )
                    )

    def _county_organs(self, county: Node, name: str) -> None:
        """The county's own organs (直属机关工委) and their branches."""
        rng = self.rng
        organs = county.add(
            Node(
                f"中共{name}直属机关工作委员会",
                OrgKind.WORKING_COMMITTEE,
                OrgLevel.TOWNSHIP,
                U.AGENCY,
                short=f"{name}直属机关工委",
                team=True,
            )
        )
        for dept in rng.sample(N.DEPARTMENTS, min(len(N.DEPARTMENTS), self.n(14, 24))):
            short = f"{name}{dept}"
            if rng.random() < 0.3:
                gb = organs.add(
                    Node(
                        f"{short}机关党总支",
                        OrgKind.GENERAL_BRANCH,
                        OrgLevel.GRASSROOTS,
                        U.AGENCY,
                        short=short,
                    )
                )
                self.fill(gb, rng.randint(2, 4))
            else:
                organs.add(
                    Node(f"{short}机关党支部", OrgKind.BRANCH, OrgLevel.GRASSROOTS, U.AGENCY)
                )

    # --- city-level systems --------------------------------------------------------------------
    def city_system(
        self,
        city_short: str,
        title: str,
        short: str,
        unit: str,
        holders: list[str],
        holder_kind: str,
        branches: tuple[int, int],
    ) -> Node:
        system = Node(
            title,
            OrgKind.WORKING_COMMITTEE if "工委" in short else OrgKind.COMMITTEE,
            OrgLevel.COUNTY,
            unit,
            short=short,
            team=True,
        )
        for holder_name in holders:
            holder = system.add(
                Node(
                    f"{holder_name}{'党委' if holder_kind == OrgKind.COMMITTEE else '党总支'}",
                    holder_kind,
                    OrgLevel.TOWNSHIP,
                    unit,
                    short=holder_name,
                    team=holder_kind == OrgKind.COMMITTEE,
                )
            )
            self.fill(holder, self.rng.randint(*branches))
        return system

    def city(self, name: str, code: str, counties: list[tuple[str, str, str]], level: int) -> Node:
        rng = self.rng
        short = name.removesuffix("市")
        city = Node(
            f"中共{name}委员会",
            OrgKind.COMMITTEE,
            level,
            U.REGION,
            short=f"{name}委",
            code=code,
            team=True,
        )
        for county_name, county_code, suffix in counties:
            node = city.add(self.county(name, county_name, suffix))
            node.code = code + county_code
        depts = rng.sample(N.DEPARTMENTS, min(len(N.DEPARTMENTS), self.n(28, 40)))
        systems = [
            self.city_system(
                short,
                f"中共{name}直属机关工作委员会",
                f"{name}直属机关工委",
                U.AGENCY,
                [f"{name}{d}" for d in depts],
                OrgKind.COMMITTEE,
                (3, 8),
            ),
            self.city_system(
                short,
                f"中共{name}国资委委员会",
                f"{name}国资委党委",
                U.ENTERPRISE,
                [
                    f"{short}{rng.choice(N.BRAND)}{rng.choice(N.BRAND)}{ind}集团有限公司"
                    for ind in rng.sample(N.INDUSTRIES, min(len(N.INDUSTRIES), self.n(8, 14)))
                ],
                OrgKind.COMMITTEE,
                (6, 16),
            ),
            self.city_system(
                short,
                f"中共{name}教育工作委员会",
                f"{name}教育工委",
                U.SCHOOL,
                [f"{name}第{cn_number(i)}中学" for i in range(1, self.n(16, 26))]
                + [f"{name}{self.place()}小学" for _ in range(self.n(8, 16))],
                OrgKind.GENERAL_BRANCH,
                (3, 6),
            ),
            self.city_system(
                short,
                f"中共{name}卫生健康工作委员会",
                f"{name}卫健工委",
                U.HOSPITAL,
                [f"{name}第{cn_number(i + 1)}人民医院" for i in range(self.n(3, 6))]
                + [f"{name}{k}" for k in ("中医医院", "妇幼保健院", "口腔医院")],
                OrgKind.COMMITTEE,
                (8, 18),
            ),
        ]
        for i, system in enumerate(systems):
            city.add(system).code = f"{code}9{i}"
        return city


def _adjust(root: Node, target: int, rng: random.Random, builder: TreeBuilder) -> None:
    """Add or remove branches at random holders until the tree has exactly `target` nodes."""
    holders: list[Node] = []

    def walk(node: Node):
        if node.grows:
            holders.append(node)
        for child in node.children:
            walk(child)

    walk(root)
    total = _count(root)
    while total < target:
        holder = rng.choice(holders)
        holder.add(builder.branch(holder))
        total += 1
    while total > target:
        holder = rng.choice(holders)
        leaves = [i for i, c in enumerate(holder.children) if not c.children]
        if len(leaves) > 1:
            del holder.children[leaves[-1]]
            total -= 1


def build_tree(scale: str, rng: random.Random) -> Node:
    spec = SCALES[scale]
    builder = TreeBuilder(rng, spec["factor"], "广西" if scale == "province" else "宁夏")
    if scale == "province":
        prov = N.PROVINCE
        root = Node(
            f"中共{prov['name']}委员会",
            OrgKind.COMMITTEE,
            OrgLevel.PROVINCE,
            U.REGION,
            short=f"{prov['short']}党委",
            code=prov["code"],
            team=True,
        )
        for i, city_name in enumerate(prov["cities"], start=1):
            used: set = set()
            counties = []
            for j in range(rng.randint(7, 12)):
                county = builder.unique(
                    lambda: rng.choice(N.COUNTY_A) + rng.choice(N.COUNTY_A), used
                )
                suffix = rng.choice(N.COUNTY_SUFFIX)
                counties.append((county + suffix, f"{j + 1:02d}", suffix))
            root.add(builder.city(city_name, f"{prov['code']}{i:02d}", counties, OrgLevel.CITY))
    else:
        city = N.CITY
        counties = city["counties"] if scale == "city" else city["counties"][:2]
        root = builder.city(city["name"], city["code"], counties, OrgLevel.CITY)
        if scale == "tiny":
            root.children = root.children[:2] + root.children[-1:]
    _adjust(root, spec["organizations"], rng, builder)
    _spread_members(root, spec["members"], rng)
    return root


def _spread_members(root: Node, total: int, rng: random.Random) -> None:
    """Give every branch a share of `total` members by its kind, summing exactly to `total`."""
    branches: list[Node] = []

    def walk(node: Node):
        if node.kind == OrgKind.BRANCH:
            branches.append(node)
        for child in node.children:
            walk(child)

    walk(root)
    weights = [MEMBER_WEIGHT[b.unit] * rng.uniform(0.4, 1.6) for b in branches]
    scale = total / sum(weights)
    shares = [w * scale for w in weights]
    counts = [max(3, int(s)) for s in shares]
    remainder = total - sum(counts)
    order = sorted(range(len(branches)), key=lambda i: shares[i] - int(shares[i]), reverse=True)
    i = 0
    while remainder != 0:
        k = order[i % len(order)]
        if remainder > 0:
            counts[k] += 1
            remainder -= 1
        elif counts[k] > 3:
            counts[k] -= 1
            remainder += 1
        i += 1
    for branch, count in zip(branches, counts, strict=True):
        branch.members = count


@dataclass
class SeededTree:
    root: Organization
    organizations: int
    members: int
    by_unit: dict[str, list[int]]  # branch ids by unit type, in tree order, for picking accounts
    counties: list[int]


class _Writer:
    """Turns the in-memory tree into rows, with ids, paths, codes and members."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.now = timezone.now()
        self.next_org = next_id(Organization)
        self.next_team = next_id(LeadershipTeam)
        self.orgs: list[tuple] = []
        self.teams: list[tuple] = []
        self.positions: list[tuple] = []
        self.member_plan: list[tuple[int, str, int]] = []
        self.by_unit: dict[str, list[int]] = {}
        self.counties: list[int] = []

    def person(self) -> tuple[str, str]:
        rng = self.rng
        surname = rng.choices(N.SURNAMES, weights=N.SURNAME_WEIGHTS)[0]
        male = rng.random() < 0.7
        pool = N.GIVEN_MALE if male else N.GIVEN_FEMALE
        given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.65 else "")
        return surname + given, "M" if male else "F"

    def visit(
        self, node: Node, parent_id: int | None, parent_path: str, parent_code: str, order: int
    ) -> None:
        pk = self.next_org
        self.next_org += 1
        path = f"{parent_path}{pk}/"
        code = node.code or f"{parent_code}{order:03d}"
        self.orgs.append(
            (
                pk,
                code,
                node.name,
                node.short,
                node.kind,
                node.level,
                node.unit,
                parent_id,
                path,
                order,
                self.now,
            )
        )
        if node.level == OrgLevel.COUNTY and node.unit == U.REGION:
            self.counties.append(pk)
        if node.kind == OrgKind.BRANCH:
            self.by_unit.setdefault(node.unit, []).append(pk)
        if node.team:
            team_id = self.next_team
            self.next_team += 1
            self.teams.append((team_id, pk, path, f"{node.short or node.name}领导班子"))
            seats = seed_seats(node.kind, node.level, node.unit, self.rng.randint(5, 9))
            for rank, title in enumerate(seats):
                self.positions.append((pk, path, team_id, title, self.person()[0], rank))
        if node.members:
            self.member_plan.append((pk, path, node.members))
        for i, child in enumerate(node.children, start=1):
            self.visit(child, pk, path, code, i)

    def member_rows(self):
        rng = self.rng
        for org_id, path, count in self.member_plan:
            for i in range(count):
                name, gender = self.person()
                birth = rng.randint(1940, 2004)
                probationary = rng.random() < 0.035
                joined = 2025 if probationary else min(2024, birth + rng.randint(18, 45))
                post = N.BRANCH_POSTS[i] if i < len(N.BRANCH_POSTS) else ""
                phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
                yield (
                    org_id,
                    path,
                    name,
                    gender,
                    birth,
                    date(joined, rng.randint(1, 12), rng.randint(1, 28)),
                    "probationary" if probationary else "full",
                    post,
                    phone,
                )


def write_tree(root: Node, rng: random.Random) -> SeededTree:
    writer = _Writer(rng)
    root_pk = writer.next_org
    writer.visit(root, None, "/", "", 1)
    insert_rows(
        Organization,
        [
            "id",
            "code",
            "name",
            "short_name",
            "kind",
            "level",
            "unit_type",
            "parent_id",
            "path",
            "sort_order",
            "created_at",
        ],
        writer.orgs,
    )
    insert_rows(LeadershipTeam, ["id", "org_id", "org_path", "name"], writer.teams)
    insert_rows(
        TeamPosition,
        ["org_id", "org_path", "team_id", "title", "person_name", "rank"],
        writer.positions,
    )
    members = insert_rows(
        Member,
        MEMBER_COLUMNS,
        writer.member_rows(),
    )
    reset_sequences(Organization, LeadershipTeam, TeamPosition, Member)
    rebuild_org_tallies()
    return SeededTree(
        root=Organization.objects.get(pk=root_pk),
        organizations=len(writer.orgs),
        members=members,
        by_unit=writer.by_unit,
        counties=writer.counties,
    )
