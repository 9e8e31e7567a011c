"""The titles of the seats in a leadership team, by the kind and level of its organisation (rules
as data: the page's title picker, the services' check, the seed and the import all read them here).

A local party committee at county level or above (市委, 县委, 区委) has a standing committee (常委);
other committees and working committees (党委, 党工委, e.g. a township's or an organ's) have
书记、副书记、委员; a 党组 has 成员; a general branch or branch (党总支, 党支部) has the committee
members of a branch (组织委员、宣传委员、纪检委员)."""

from luoshi.orgs.models import Organization, OrgKind, OrgLevel, UnitType

LOCAL_COMMITTEE = ("书记", "副书记", "常委", "委员")
COMMITTEE = ("书记", "副书记", "委员")
LEADING_GROUP = ("书记", "副书记", "成员")
BRANCH = ("书记", "副书记", "组织委员", "宣传委员", "纪检委员")

# The seed's seats, in order, for a team of up to nine (书记 first, then the deputies).
SEED_SEATS = {
    LOCAL_COMMITTEE: ("书记", "副书记", "副书记", "常委", "常委", "常委", "常委", "常委", "常委"),
    COMMITTEE: ("书记", "副书记", "副书记", "委员", "委员", "委员", "委员", "委员", "委员"),
    LEADING_GROUP: ("书记", "副书记", "成员", "成员", "成员", "成员", "成员", "成员", "成员"),
    BRANCH: ("书记", "副书记", "组织委员", "宣传委员", "纪检委员"),
}


def seat_titles_for(kind: str, level: int, unit_type: str) -> tuple[str, ...]:
    """The titles a seat of a team of an organisation of this kind, level and unit type may have."""
    if kind == OrgKind.COMMITTEE:
        local = unit_type == UnitType.REGION and level <= OrgLevel.COUNTY
        return LOCAL_COMMITTEE if local else COMMITTEE
    if kind == OrgKind.WORKING_COMMITTEE:
        return COMMITTEE
    if kind == OrgKind.LEADING_GROUP:
        return LEADING_GROUP
    return BRANCH


def seat_titles(org: Organization) -> tuple[str, ...]:
    return seat_titles_for(org.kind, org.level, org.unit_type)


def seed_seats(kind: str, level: int, unit_type: str, count: int) -> tuple[str, ...]:
    """The titles of a seeded team of `count` seats (a branch has at most five)."""
    return SEED_SEATS[seat_titles_for(kind, level, unit_type)][:count]
