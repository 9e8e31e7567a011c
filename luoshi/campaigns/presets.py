"""The campaigns an office starts from, as data: each preset's 总要求, goals, vocabulary (problem
sources and categories) and key actions. `services.create_campaign` copies a preset into a new
campaign; everything copied is editable afterwards. One campaign's words never mix with
another's: each preset carries its own."""

from dataclasses import dataclass, field

from luoshi.campaigns.models import Proof
from luoshi.orgs.models import OrgKind

DEFAULT_SOURCES = [
    "巡视反馈",
    "督察反馈",
    "督导反馈",
    "征求意见",
    "调研发现",
    "自身查摆",
    "上级交办",
    "群众反映",
]
# Guangxi's eight gaps (seed 000), each a top-level category.
EIGHT_GAPS = [
    "在创造性运用习近平新时代中国特色社会主义思想指导推动工作实践上存在差距",
    "在思发展、谋发展、抓发展的紧迫感责任感上存在差距",
    "在贯彻新发展理念和高质量发展要求、培育发展新动能上存在差距",
    "在服务群众、服务基层、服务企业上存在差距",
    "在正确处理大胆干事与干净干事上存在差距",
    "在迎难而上、攻坚克难、担当实干上存在差距",
    "在工作标准、工作格局、工作视野上存在差距",
    "在发挥基层党组织战斗堡垒作用上存在差距",
]
# The sub-categories the seed's ledgers file problems under, below each gap.
GAP_SUBCATEGORIES = ["思想认识方面", "工作作风方面", "制度机制方面"]

LEADING_BODIES = (OrgKind.COMMITTEE, OrgKind.WORKING_COMMITTEE, OrgKind.LEADING_GROUP)
BRANCHES = (OrgKind.BRANCH, OrgKind.GENERAL_BRANCH)


@dataclass(frozen=True)
class ActionRule:
    """A key action of a preset: due `days` after the start of the batch that covers the
    organisation (of the campaign when it is in none), proved by `proof`, for organisations of
    `kinds` (every kind when empty), with the evidence asked for."""

    name: str
    days: int
    proof: str = Proof.MANUAL
    kinds: tuple[str, ...] = ()
    evidence: str = ""


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    name: str
    general_requirement: str
    goals: tuple[str, ...]
    period_days: int  # the default length of the campaign, from its start
    sources: tuple[str, ...] = ()
    # (top-level category, its sub-categories)
    categories: tuple[tuple[str, tuple[str, ...]], ...] = ()
    key_actions: tuple[ActionRule, ...] = ()
    # The shortest concentrated period of a batch (seed 002: 集中教育不少于3个月), copied to the
    # campaign's min_batch_days, which the batches page warns against.
    min_batch_days: int | None = None
    notes: dict = field(default_factory=dict)


A = ActionRule
# Yinchuan's "十个关键动作" (seed 003): mobilisation, study, lessons, research, opinions, finding
# problems, the special meetings, rectification, rules made, and the summing up.
KEY_ACTIONS_2019 = (
    A("动员部署", 15, Proof.MANUAL, (), "动员会议通知、讲话稿、会议照片"),
    A("重温入党誓词", 20, Proof.PARTY_DAY, BRANCHES, "主题党日记录、照片"),
    A("集中学习研讨", 40, Proof.SELF_STUDY, LEADING_BODIES, "学习计划、读书班安排、学习记录"),
    A("交流研讨", 45, Proof.DISCUSSION, LEADING_BODIES, "研讨发言材料、会议记录"),
    A("讲专题党课", 60, Proof.LESSON, (), "党课讲稿、照片"),
    A("调查研究", 60, Proof.VISIT, LEADING_BODIES, "调研报告、成果转化清单"),
    A("征求意见、检视问题", 75, Proof.PROBLEMS, (), "征求意见表、问题清单（四个对照、四个找一找）"),
    A("专题民主生活会/组织生活会", 85, Proof.MANUAL, (), "会议方案、对照检查材料、会议记录"),
    A("整改落实、专项整治", 90, Proof.MANUAL, (), "整改台账、专项整治方案、整改报告"),
    A("总结评估", 90, Proof.MANUAL, (), "总结报告、群众满意度测评表"),
)

# 2023: 学思想、强党性、重实践、建新功 — study, research (大兴调查研究), promoting development,
# finding and fixing problems, the special meetings and the assessment.
KEY_ACTIONS_2023 = (
    A("动员部署", 15, Proof.MANUAL, (), "实施方案、动员会议通知、讲话稿"),
    A("读书班", 30, Proof.SELF_STUDY, LEADING_BODIES, "读书班安排、学习记录"),
    A("专题学习研讨", 45, Proof.DISCUSSION, LEADING_BODIES, "研讨发言材料、会议记录"),
    A("讲专题党课", 60, Proof.LESSON, (), "党课讲稿、照片"),
    A("大兴调查研究", 60, Proof.VISIT, LEADING_BODIES, "调研方案、调研报告、问题清单"),
    A("推动发展", 75, Proof.MANUAL, LEADING_BODIES, "推动发展的措施清单、成效材料"),
    A("检视整改", 75, Proof.PROBLEMS, (), "问题清单、整改台账"),
    A("专题民主生活会/组织生活会", 85, Proof.MANUAL, (), "会议方案、对照检查材料、会议记录"),
    A("总结评估", 90, Proof.MANUAL, (), "总结报告、群众满意度测评表"),
)

PRESETS = {
    p.key: p
    for p in [
        Preset(
            key="2019",
            label="2019年“不忘初心、牢记使命”主题教育",
            name="“不忘初心、牢记使命”主题教育",
            general_requirement="守初心、担使命，找差距、抓落实",
            goals=(
                "理论学习有收获",
                "思想政治受洗礼",
                "干事创业敢担当",
                "为民服务解难题",
                "清正廉洁作表率",
            ),
            period_days=200,
            sources=tuple(DEFAULT_SOURCES),
            categories=tuple((gap, tuple(GAP_SUBCATEGORIES)) for gap in EIGHT_GAPS),
            key_actions=KEY_ACTIONS_2019,
            min_batch_days=90,
        ),
        Preset(
            key="2023",
            label="2023年学习贯彻习近平新时代中国特色社会主义思想主题教育",
            name="学习贯彻习近平新时代中国特色社会主义思想主题教育",
            general_requirement="学思想、强党性、重实践、建新功",
            goals=(
                "凝心铸魂筑牢根本",
                "锤炼品格强化忠诚",
                "实干担当促进发展",
                "践行宗旨为民造福",
                "廉洁奉公树立新风",
            ),
            period_days=180,
            sources=(
                "巡视巡察反馈",
                "督导反馈",
                "调查研究发现",
                "征求意见",
                "检视查摆",
                "上级交办",
                "群众反映",
            ),
            categories=(
                ("理论学习方面", ("学习不够深入系统", "学用结合不紧密")),
                ("政治素质方面", ("政治判断力、领悟力、执行力", "贯彻落实党中央决策部署")),
                ("能力本领方面", ("推动高质量发展", "解决实际问题")),
                ("担当作为方面", ("干事创业精气神", "攻坚克难")),
                ("工作作风方面", ("形式主义、官僚主义", "调查研究")),
                ("廉洁自律方面", ("落实中央八项规定精神", "管党治党责任")),
            ),
            key_actions=KEY_ACTIONS_2023,
            min_batch_days=90,
        ),
        Preset(
            key="blank",
            label="空白（自行设置）",
            name="",
            general_requirement="",
            goals=(),
            period_days=180,
        ),
    ]
}
PRESET_CHOICES = [(p.key, p.label) for p in PRESETS.values()]


def preset(key: str) -> Preset | None:
    return PRESETS.get(key)
