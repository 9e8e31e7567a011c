"""The month's 走访台账 in Excel (text written as text, contact masked)."""

from luoshi.core.xlsx import write_table
from luoshi.monthly.months import label


def write_visits(target, visits, node, month) -> int:
    return write_table(
        target,
        title=f"{node.name}{label(month)}走访台账",
        unit=node.name,
        columns=[
            ("序号", 6),
            ("党组织", 24),
            ("走访对象", 16),
            ("对象类别", 10),
            ("联系方式", 14),
            ("走访干部", 10),
            ("走访时间", 16),
            ("走访了解情况", 30),
            ("发现问题", 36),
            ("研判结果", 16),
        ],
        rows=(
            (
                n,
                v.org.name,
                v.target.name,
                v.target.get_kind_display(),
                v.target.masked_contact,
                v.cadre.first_name or v.cadre.username,
                f"{v.visited_at:%Y-%m-%d %H:%M}",
                v.asked,
                "；".join(f"【{f.get_kind_display()}】{f.text}" for f in v.findings.all()),
                "；".join(f.get_state_display() for f in v.findings.all()),
            )
            for n, v in enumerate(visits, start=1)
        ),
        sheet="走访台账",
    )
