"""Seed step: symposia and opinions at the scale of the tree (city: 8,000-odd opinions from
forms, symposia, talks and the online form), handled in realistic mixes: most answered or taken
into the ledger (several opinions merged into one problem of source 征求意见), some declined,
some passed on from the level above, some still waiting; a share rated by their senders."""

import hashlib
import json
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from luoshi.campaigns.models import Campaign
from luoshi.core.bulk import insert_rows, next_id, reset_sequences
from luoshi.opinions.models import (
    OPINION_COLUMNS,
    Channel,
    Opinion,
    OpinionEvent,
    OpinionState,
    Rating,
    Symposium,
    Topic,
)
from luoshi.orgs.models import Organization, OrgKind, OrgLevel
from luoshi.rectification.models import Problem, ProblemStatus, today

# (opinions not taken into the ledger, symposia) per scale; accepted ones come on top, 1-4 for
# each problem whose source is 征求意见 (city: about 1,200 problems, 2,800 opinions).
VOLUME = {"tiny": (60, 8), "city": (5600, 620), "province": (260_000, 30_000)}
TEXTS = {
    Topic.STYLE: [
        "有的干部下基层走马观花，群众反映的问题没人跟进",
        "村里开会多、干活少，希望少些形式多些实事",
        "个别窗口工作人员态度生硬，说话不耐烦",
    ],
    Topic.SERVICE: [
        "办理社保转移要跑好几个地方，能不能一次办好",
        "便民服务中心中午不开门，上班族办事不方便",
        "网上办事平台经常登录不上，希望尽快修好",
    ],
    Topic.LIVELIHOOD: [
        "小区路灯坏了两个月没人修，晚上出行不安全",
        "村口道路坑洼多，雨天积水严重，希望尽快硬化",
        "老旧小区没有电梯，老人上下楼困难",
        "学校门口上下学时段拥堵，希望增加交警疏导",
    ],
    Topic.BUSINESS: [
        "企业办理施工许可材料多、时间长，希望精简",
        "小微企业贷款难，希望多对接金融机构",
    ],
    Topic.PARTY: [
        "流动党员参加组织生活不方便，希望多开展线上学习",
        "有的党员很少参加支部活动，建议加强管理",
    ],
    Topic.OTHER: [
        "建议多组织一些适合老年人的文化活动",
        "希望公开一下村集体经济收支情况",
    ],
}
ANSWERS = [
    "感谢您的意见。经核实，已安排相关部门于本周内处理完毕。",
    "您反映的问题已纳入年度民生实事项目，预计年底前完成。",
    "经研究，已调整办公时间，工作日中午实行轮班值守。",
    "已约谈相关责任人，并在全系统开展作风整顿。",
]
DECLINE_REASONS = [
    "该事项属于司法程序范围，已告知当事人依法通过诉讼途径解决。",
    "经核实，所反映情况与实际不符，已向您说明有关政策规定。",
    "该项目不符合现行规划要求，暂不具备实施条件。",
]
ATTENDEES = [
    "村民代表、老党员、致富带头人",
    "社区居民代表、网格员、物业代表",
    "企业负责人、个体工商户代表",
    "“两代表一委员”、基层干部代表",
]
CHANNELS = [(Channel.ONLINE, 35), (Channel.FORM, 30), (Channel.SYMPOSIUM, 25), (Channel.TALK, 10)]
OTHER_STATES = [
    (OpinionState.ANSWERED, 62),
    (OpinionState.DECLINED, 14),
    (OpinionState.PENDING, 20),
    (OpinionState.TRANSFERRED, 4),
]
RATINGS = {
    OpinionState.ANSWERED: [70, 22, 8],
    OpinionState.DECLINED: [28, 40, 32],
    OpinionState.ACCEPTED: [78, 18, 4],
}


def _aware(day, rng) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(rng.randint(7, 22), rng.randint(0, 59))))


SYMPOSIUM_COLUMNS = [
    "id",
    "org_id",
    "org_path",
    "campaign_id",
    "title",
    "held_on",
    "attendees",
    "attendee_count",
    "notes",
    "created_by_id",
    "created_at",
]
EVENT_COLUMNS = [
    "org_id",
    "org_path",
    "opinion_id",
    "action",
    "actor_id",
    "actor_name",
    "at",
    "note",
    "detail",
]


def seed_opinions(context) -> None:
    rng = context.rng
    campaign = Campaign.objects.get(slug=context.campaign_slug)
    n_other, n_symposia = VOLUME[context.scale]
    handler = get_user_model().objects.filter(username="city_office").values_list("id", flat=True)
    orgs = list(
        Organization.objects.in_subtree(context.root.path).values_list(
            "id", "path", "level", "kind", "parent_id"
        )
    )
    weights = [
        {OrgLevel.PROVINCE: 30, OrgLevel.CITY: 30, OrgLevel.COUNTY: 10, OrgLevel.TOWNSHIP: 4}.get(
            level, 1.0 if kind == OrgKind.BRANCH else 0.5
        )
        for _, _, level, kind, _ in orgs
    ]
    seeder = _OpinionSeeder(rng, campaign, handler.first(), orgs)
    # Symposia: at townships and above, more often than at branches.
    seeder.hold_symposia(rng.choices(orgs, weights=weights, k=n_symposia))
    # Accepted: every problem of source 征求意见 gets 1-4 opinions of its own organisation.
    problems = Problem.objects.filter(campaign=campaign, source__name="征求意见").values_list(
        "id", "org_id", "status"
    )
    for pid, org_id, status in problems:
        for _ in range(min(4, 1 + int(rng.expovariate(0.8)))):
            seeder.add(
                seeder.by_id[org_id],
                OpinionState.ACCEPTED,
                problem=pid,
                closed=status == ProblemStatus.CLOSED,
            )
    states = [s for s, _ in OTHER_STATES]
    state_weights = [w for _, w in OTHER_STATES]
    for org in rng.choices(orgs, weights=weights, k=n_other):
        seeder.add(org, rng.choices(states, weights=state_weights)[0])
    insert_rows(Opinion, OPINION_COLUMNS, seeder.rows)
    insert_rows(OpinionEvent, EVENT_COLUMNS, seeder.events)
    reset_sequences(Symposium, Opinion, OpinionEvent)


class _OpinionSeeder:
    """The symposia and the opinion and event rows being seeded for one campaign."""

    def __init__(self, rng, campaign, handler, orgs):
        self.rng = rng
        self.campaign = campaign
        self.handler = handler
        self.now = timezone.now()
        self.start = campaign.starts_on
        self.days = max(1, (today() - self.start).days)
        self.by_id = {o[0]: o for o in orgs}
        self.symposia: list[tuple] = []
        self.by_org: dict[int, list] = {}
        self.oid = next_id(Opinion)
        self.rows: list[tuple] = []
        self.events: list[tuple] = []

    def hold_symposia(self, orgs) -> None:
        """One symposium at each of `orgs` (repeats allowed), written at once."""
        rng, sid = self.rng, next_id(Symposium)
        for org in orgs:
            held = self.start + timedelta(days=rng.randint(0, max(0, self.days - 7)))
            count = rng.randint(8, 40)
            title = f"主题教育征求意见座谈会（{held:%m月%d日}）"
            notes = f"参会{count}人，围绕服务群众、干部作风等方面发言。"
            row = (sid, org[0], org[1], self.campaign.pk, title, held, rng.choice(ATTENDEES))
            self.symposia.append((*row, count, notes, self.handler, _aware(held, rng)))
            sid += 1
        insert_rows(Symposium, SYMPOSIUM_COLUMNS, self.symposia)
        for s in self.symposia:
            self.by_org.setdefault(s[1], []).append(s)

    def add(self, org, state, *, problem=None, closed=False) -> None:
        """One opinion to `org` in `state` (an accepted one taken into `problem`), with its
        events: received, passed on from the level above, handled, rated."""
        rng = self.rng
        channel, symposium, org, submitted = self._received(org, problem)
        topic = rng.choice(list(TEXTS))
        anonymous = channel == Channel.ONLINE or rng.random() < 0.6
        transferred_from = None
        if state == OpinionState.TRANSFERRED and not org[4]:
            state = OpinionState.PENDING
        if state == OpinionState.TRANSFERRED or (
            state != OpinionState.PENDING and org[4] and rng.random() < 0.08
        ):
            transferred_from = org[4]
        handled = self._handling(state, submitted, closed)
        handled_at, handle_seconds, answer, reason, rating, rated_at = handled
        code = hashlib.sha256(f"seed:{self.oid}:{rng.random()}".encode()).hexdigest()
        text = rng.choice(TEXTS[topic])
        phone = "" if anonymous else f"139{rng.randint(0, 99_999_999):08d}"
        row = (self.oid, org[0], org[1], self.campaign.pk, channel, topic, text, anonymous, "")
        row += (phone, symposium, code, code[:4].upper(), state, answer, reason, problem)
        row += (transferred_from, submitted, handled_at, handle_seconds)
        row += (self.handler if handled_at else None, rating, rated_at, 1)
        self.rows.append(row)
        self._add_events(org, state, submitted, transferred_from, handled)
        self.oid += 1

    def _received(self, org, problem) -> tuple:
        """(channel, symposium id, organisation, submitted at): an opinion from a symposium
        belongs to the symposium's organisation; an accepted one stays with its problem's."""
        rng = self.rng
        channel = rng.choices([c for c, _ in CHANNELS], weights=[w for _, w in CHANNELS])[0]
        held_by = self.by_org.get(org[0], []) if problem else self.symposia
        if channel == Channel.SYMPOSIUM and not held_by:
            channel = Channel.FORM
        if channel == Channel.SYMPOSIUM:
            s = rng.choice(held_by)
            return channel, s[0], self.by_id[s[1]], _aware(s[5], rng)
        submitted = _aware(self.start + timedelta(days=rng.randint(0, self.days)), rng)
        return channel, None, org, submitted

    def _handling(self, state, submitted, closed) -> tuple:
        """(handled at, seconds taken, answer, reason, rating, rated at) of a handled opinion;
        a share of senders rate the answer (more once the problem is closed)."""
        rng = self.rng
        handled_at = handle_seconds = None
        answer = reason = rating = ""
        rated_at = None
        if state in (OpinionState.PENDING, OpinionState.TRANSFERRED):
            return handled_at, handle_seconds, answer, reason, rating, rated_at
        delay = min((self.now - submitted).total_seconds(), 86400 * rng.lognormvariate(1.3, 0.8))
        handle_seconds = max(600, int(delay))
        handled_at = submitted + timedelta(seconds=handle_seconds)
        if state == OpinionState.ANSWERED:
            answer = rng.choice(ANSWERS)
        elif state == OpinionState.DECLINED:
            reason = rng.choice(DECLINE_REASONS)
        elif rng.random() < 0.4:
            answer = "您的意见已纳入整改清单，我们将按期整改并公开结果。"
        if state != OpinionState.ACCEPTED or closed:
            if rng.random() < (0.5 if closed else 0.4):
                rating = rng.choices(list(Rating.values), weights=RATINGS[state])[0]
                rated_at = min(self.now, handled_at + timedelta(days=rng.randint(1, 10)))
        return handled_at, handle_seconds, answer, reason, rating, rated_at

    def _add_events(self, org, state, submitted, transferred_from, handled) -> None:
        handled_at, _, answer, reason, rating, rated_at = handled
        handler = self.handler
        event = (org[0], org[1], self.oid)
        self.events.append((*event, "received", None, "群众", submitted, "", "{}"))
        if transferred_from:
            moved = submitted + timedelta(hours=self.rng.randint(2, 30))
            self.events.append((*event, "transferred", handler, "主题教育办公室", moved, "", "{}"))
        if handled_at:
            action = {OpinionState.ACCEPTED: "accepted", OpinionState.ANSWERED: "answered"}.get(
                state, "declined"
            )
            note = answer or reason
            self.events.append((*event, action, handler, "主题教育办公室", handled_at, note, "{}"))
        if rating:
            detail = json.dumps({"rating": rating})
            self.events.append((*event, "rated", None, "群众", rated_at, "", detail))
