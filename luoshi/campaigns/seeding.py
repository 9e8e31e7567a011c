"""Seed the campaign's key actions (the checklist every organisation completes) and launch them:
those proved by records (lessons, sessions, visits, problems listed) are done as the records say;
most of the rest are done with evidence, a few are late."""

from datetime import timedelta

from luoshi.campaigns.models import ActionItem, Campaign, Proof
from luoshi.campaigns.services import define_key_action, launch_key_actions
from luoshi.core.scoping import SYSTEM
from luoshi.orgs.models import OrgKind
from luoshi.rectification.models import today

# (name, days after the start of the organisation's batch it is due, proof, kinds it applies
# to, evidence asked for): a second-batch unit's deadlines follow its own batch's start.
KEY_ACTIONS = [
    ("动员部署", 15, Proof.MANUAL, [], "动员会议通知、讲话稿、会议照片"),
    (
        "集中学习研讨",
        30,
        Proof.SELF_STUDY,
        [OrgKind.COMMITTEE, OrgKind.WORKING_COMMITTEE, OrgKind.LEADING_GROUP],
        "学习计划、学习记录",
    ),
    ("专题党课", 45, Proof.LESSON, [OrgKind.BRANCH, OrgKind.GENERAL_BRANCH], "党课讲稿、照片"),
    (
        "调查研究",
        45,
        Proof.VISIT,
        [OrgKind.COMMITTEE, OrgKind.WORKING_COMMITTEE, OrgKind.LEADING_GROUP],
        "调研报告",
    ),
    ("检视问题", 60, Proof.PROBLEMS, [], "问题清单"),
    ("专题民主生活会/组织生活会", 75, Proof.MANUAL, [], "会议方案、对照检查材料、会议记录"),
    ("整改落实", 85, Proof.MANUAL, [], "整改台账、整改报告"),
    ("总结评估", 95, Proof.MANUAL, [], "总结报告、满意度测评表"),
]


def seed_key_actions(context) -> None:
    rng = context.rng
    campaign = Campaign.objects.get(slug=context.campaign_slug)
    for name, days, proof, kinds, evidence in KEY_ACTIONS:
        define_key_action(
            actor=SYSTEM,
            campaign_id=campaign.pk,
            name=name,
            due_days=days,
            proof=proof,
            kinds=[str(k) for k in kinds],
            evidence_required=evidence,
        )
    launch_key_actions(actor=SYSTEM, campaign_id=campaign.pk)
    # Manual actions already due: most organisations have uploaded their evidence.
    now = today()
    due = ActionItem.objects.filter(
        action__campaign=campaign,
        action__proof=Proof.MANUAL,
        state=ActionItem.State.PENDING,
        due_on__lte=now + timedelta(days=20),
    ).values_list("id", "due_on")
    done = [
        (pk, min(due_on - timedelta(days=rng.randint(-6, 5)), now))
        for pk, due_on in due
        if rng.random() < 0.9
    ]
    by_date: dict = {}
    for pk, on in done:
        by_date.setdefault(on, []).append(pk)
    for on, ids in by_date.items():
        for i in range(0, len(ids), 5000):
            ActionItem.objects.filter(pk__in=ids[i : i + 5000]).update(
                state=ActionItem.State.DONE, done_on=on, proof_note="已上传佐证材料"
            )
