"""The lifecycle of a campaign as data: 筹备 → 启动 → 总结 → 结束, what each step does, and the one
rule the ledger asks of it (`new_problems_refusal`). Pages, the API and the ledger import all
read these; `services.advance_campaign` carries a step out."""

from dataclasses import dataclass

from luoshi.campaigns.models import CampaignStatus as S


@dataclass(frozen=True)
class Step:
    action: str
    label: str  # the button
    source: str
    target: str
    explains: str  # what the step does, shown next to the button


STEPS = {
    s.action: s
    for s in [
        Step(
            "launch",
            "启动主题教育",
            S.DRAFT,
            S.LAUNCHED,
            "向范围内各党组织部署关键动作清单，各组织开始学习、检视问题和整改",
        ),
        Step(
            "sum_up",
            "转入总结评估",
            S.LAUNCHED,
            S.SUMMING_UP,
            "进入总结评估阶段：问题清单、整改落实照常进行，各组织开展总结和满意度测评",
        ),
        Step(
            "end",
            "结束主题教育",
            S.SUMMING_UP,
            S.ENDED,
            "问题清单不再新增问题；已有整改措施继续推进直至销号（长期坚持的措施照常填报）",
        ),
    ]
}

STATE_NOTES = {
    S.DRAFT: "筹备中：可修改名称、总要求、目标、问题类别和关键动作，启动后各组织才收到关键动作清单",
    S.LAUNCHED: "已启动：各组织按关键动作清单推进，问题清单和整改台账正常填报",
    S.SUMMING_UP: "总结阶段：问题清单和整改台账照常填报，各组织开展总结评估",
    S.ENDED: "已结束：不再新增问题，已有整改措施继续推进直至销号",
}


def next_step(campaign) -> Step | None:
    """The step the campaign can take from where it stands (None once it has ended)."""
    return next((s for s in STEPS.values() if s.source == campaign.status), None)


def step_refusal(campaign, action: str) -> str | None:
    """Why the campaign may not take `action` now, or None if it may."""
    step = STEPS.get(action)
    if step is None:
        return "未知的操作"
    if campaign.status == step.source:
        return None
    current = S(campaign.status).label
    if campaign.status == S.ENDED:
        return f"主题教育已{current}，不能再“{step.label}”"
    upcoming = next_step(campaign)
    return (
        f"主题教育当前处于“{current}”阶段，不能“{step.label}”；下一步是“{upcoming.label}”"
        if upcoming
        else f"主题教育当前处于“{current}”阶段，不能“{step.label}”"
    )


def new_problems_refusal(campaign) -> str | None:
    """Why no new problem may be listed in the campaign, or None if one may. An ended campaign's
    list is closed (the measures of its problems go on until they are closed)."""
    if campaign.status == S.ENDED:
        return f"{campaign.name}已结束，问题清单不再新增问题；已有问题的整改措施可继续填报"
    return None
