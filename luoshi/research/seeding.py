"""Seed research: each leadership team's leaders take topics, visit villages, enterprises and
households, and write down what they found; some findings are already problems in the ledger
(source 调研发现), linked both ways; most topics have their report."""

from datetime import timedelta

from django.utils import timezone

from luoshi.campaigns.models import Campaign
from luoshi.core.bulk import insert_rows, next_id, reset_sequences
from luoshi.orgs.models import TeamPosition
from luoshi.rectification.models import Problem, today
from luoshi.research.models import Finding, ResearchTopic, TopicState, Visit

THEMES = [
    "推动乡村振兴产业发展",
    "优化营商环境、服务民营企业",
    "解决群众急难愁盼问题",
    "基层党组织标准化规范化建设",
    "老旧小区改造和社区治理",
    "黄河流域生态保护和高质量发展",
    "为基层减负",
]
# (kind of place, the places of that kind a visit goes to)
PLACES = [
    ("village", ["红星村", "团结村", "新华村", "永丰村"]),
    ("community", ["丽景社区", "湖滨社区", "阳光社区"]),
    ("enterprise", ["宁夏恒远食品有限公司", "银川科创园入驻企业", "枸杞产业合作社"]),
    ("household", ["脱贫户家中", "种植大户家中"]),
    ("school", ["第一中学", "实验小学"]),
]
FINDINGS = [
    "村集体经济收入渠道单一",
    "企业反映审批环节多、时限长",
    "小区停车难、电动车充电设施不足",
    "基层报表多、台账多，负担较重",
    "部分党员参加组织生活不经常",
    "群众反映办事需多头跑",
]


TOPIC_COLUMNS = [
    "id",
    "org_id",
    "org_path",
    "campaign_id",
    "title",
    "leader_name",
    "leader_title",
    "state",
    "report",
    "outcome",
    "concluded_on",
    "created_at",
    "description",
]
VISIT_COLUMNS = [
    "id",
    "org_id",
    "org_path",
    "topic_id",
    "visited_on",
    "place",
    "place_kind",
    "met_whom",
    "notes",
]
FINDING_COLUMNS = ["org_id", "org_path", "visit_id", "text", "problem_id", "created_at"]


def seed_research(context) -> None:
    rng = context.rng
    campaign = Campaign.objects.get(slug=context.campaign_slug)
    start, end = campaign.starts_on, min(today(), campaign.ends_on)
    span = max((end - start).days, 1)
    now = timezone.now()
    leaders = list(
        TeamPosition.objects.filter(
            org_path__startswith=context.root.path, rank__lte=1
        ).values_list("org_id", "org_path", "person_name", "title")
    )
    tid, vid = next_id(ResearchTopic), next_id(Visit)
    topics, visits, findings = [], [], []
    for org_id, path, name, title in leaders:
        theme = rng.choice(THEMES)
        concluded = rng.random() < 0.6
        topics.append(_topic_row(tid, org_id, path, campaign, name, title, theme, concluded, now))
        for _ in range(rng.randint(2, 4)):
            kind, places = rng.choice(PLACES)
            on = start + timedelta(days=rng.randrange(span))
            place = rng.choice(places)
            visits.append((vid, org_id, path, tid, on, place, kind, "干部群众代表", ""))
            for _ in range(rng.choice([0, 1, 1, 2])):
                findings.append([org_id, path, vid, rng.choice(FINDINGS), None, now])
            vid += 1
        tid += 1
    _link_research_problems(campaign, findings)
    insert_rows(ResearchTopic, TOPIC_COLUMNS, topics)
    insert_rows(Visit, VISIT_COLUMNS, visits)
    insert_rows(Finding, FINDING_COLUMNS, [tuple(f) for f in findings])
    reset_sequences(ResearchTopic, Visit, Finding)


def _topic_row(topic_id, org_id, path, campaign, name, title, theme, concluded, now) -> tuple:
    """A leader's research topic; a concluded one has its report and outcome."""
    end = min(today(), campaign.ends_on)
    return (
        topic_id,
        org_id,
        path,
        campaign.pk,
        f"关于{theme}的调研",
        name,
        title,
        TopicState.CONCLUDED if concluded else TopicState.ONGOING,
        f"围绕{theme}开展调研，形成调研报告。" if concluded else "",
        "形成制度措施并推动解决" if concluded else "",
        end if concluded else None,
        now,
        f"围绕{theme}，深入基层开展调研。",
    )


def _link_research_problems(campaign, findings: list[list]) -> None:
    """Problems the ledger already has from research (source 调研发现), each linked to a finding
    of its organisation (the finding rows' problem id is set in place)."""
    sourced = Problem.objects.filter(campaign=campaign, source__name="调研发现").values_list(
        "id", "org_id"
    )
    open_findings: dict[int, list] = {}
    for f in findings:
        open_findings.setdefault(f[0], []).append(f)
    for problem_id, org_id in sourced:
        candidates = open_findings.get(org_id)
        if candidates:
            candidates.pop()[4] = problem_id
