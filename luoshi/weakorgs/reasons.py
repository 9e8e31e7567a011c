"""The standard categories of 软弱涣散 (the vocabulary's first entries)."""

from luoshi.weakorgs.models import WeakReason

STANDARD = [
    "班子软弱涣散、凝聚力战斗力不强",
    "书记不胜任现职、工作不在状态",
    "组织生活不正常、党员教育管理宽松软",
    "宗族宗教和黑恶势力干扰渗透",
    "村务财务不公开、民主管理不落实",
    "群众反映强烈的问题长期得不到解决",
    "集体经济薄弱、带领群众致富能力不强",
    "党员队伍老化、发展党员断档",
    "换届选举矛盾突出、班子不团结",
    "服务群众意识淡薄、工作推进不力",
]


def ensure_standard() -> list[WeakReason]:
    """The vocabulary, with the standard categories added if the table is empty (a flushed
    database: the migration's rows are gone)."""
    if not WeakReason.objects.exists():
        WeakReason.objects.bulk_create(
            [WeakReason(name=n, rank=i) for i, n in enumerate(STANDARD, start=1)]
        )
    return list(WeakReason.objects.filter(active=True))
