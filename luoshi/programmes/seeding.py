"""Seed step: the special programmes (专项整治) of the 2019 campaign. Eight set centrally and two
by the region are registered at the root (at province scale the region sets its two itself), and
the root adopts all ten with its own plans; one county sets a programme of its own with its
plan, another adopts one of the root's: twelve plans in the tree, as Yinchuan wrote twelve.
Items are problems already in the seeded ledger, tagged to the programme that fits them; their
state is their measures'."""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile

from luoshi.campaigns.models import Campaign
from luoshi.core.files import check_upload, store_upload
from luoshi.core.paths import subtree_q
from luoshi.orgs.models import Organization, OrgLevel, UnitType
from luoshi.programmes.models import ProgrammeItem, ProgrammePlan, SetBy, SpecialProgramme
from luoshi.rectification.models import Problem, today

# (name, who set it, lead unit, ledger problem titles that belong to it)
CENTRAL = [
    (
        "整治违背初心使命、对党中央决策部署敷衍应付的问题",
        "党委办公室",
        ["理论学习不够深入系统"],
    ),
    ("整治干事创业精神不振、不担当不作为问题", "组织部", ["担当作为的精神不足"]),
    ("整治违反中央八项规定精神的突出问题", "纪委监委", ["廉洁自律要求落实不严"]),
    ("整治群众身边腐败问题和作风问题", "纪委监委", []),
    (
        "整治形式主义官僚主义，层层加重基层负担问题",
        "党委办公室",
        ["形式主义问题仍有表现", "抓落实的力度不够"],
    ),
    ("整治领导干部配偶、子女及其配偶违规经商办企业问题", "组织部", []),
    ("整治侵害群众利益问题", "党委政法委", ["服务群众的意识不够强"]),
    ("整治基层党组织软弱涣散、党员教育管理宽松软问题", "组织部", ["基层党组织建设有短板"]),
]
REGIONAL = [
    ("整治营商环境中的突出问题", "发展改革委", ["营商环境还需优化"]),
    ("整治干部作风“怕慢假庸散”问题", "组织部", ["干部队伍建设有差距"]),
]
COUNTY_OWN = ("整治农村人居环境脏乱差问题", "农业农村局", ["民生领域短板较多"])
ITEMS_PER_PROGRAMME = {"tiny": 2, "city": 40, "province": 200}
# A small valid PDF standing for each plan's file (stored and served as evidence is).
PLAN_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def seed_programmes(context) -> None:
    campaign = Campaign.objects.get(slug=context.campaign_slug)
    root = context.root
    region_set_by = SetBy.REGION if root.level > OrgLevel.PROVINCE else SetBy.OWN
    specs = [(s, SetBy.CENTRAL) for s in CENTRAL] + [(s, region_set_by) for s in REGIONAL]
    counties = list(
        Organization.objects.filter(parent=root, unit_type=UnitType.REGION).order_by("path")[:2]
    )
    used: set[int] = set()
    per = ITEMS_PER_PROGRAMME.get(context.scale, 2)
    for n, ((name, lead, titles), set_by) in enumerate(specs, start=1):
        programme = _programme(campaign, root, name, set_by, lead)
        _plan(programme, root, n, campaign)
        _tag(context.rng, programme, root.path, titles, per, used)
    if len(counties) == 2:
        own, adopter = counties
        name, lead, titles = COUNTY_OWN
        programme = _programme(campaign, own, name, SetBy.OWN, lead)
        _plan(programme, own, 1, campaign)
        _tag(context.rng, programme, own.path, titles, per, used)
        formalism = SpecialProgramme.objects.get(org=root, name=CENTRAL[4][0])
        _plan(formalism, adopter, 2, campaign)


def _programme(campaign, org, name, set_by, lead) -> SpecialProgramme:
    return SpecialProgramme.objects.create(
        org=org,
        org_path=org.path,
        campaign=campaign,
        name=name,
        set_by=set_by,
        goals=f"聚焦{name.removeprefix('整治')}，坚持边学边查边改，逐项建立整改台账，"
        "列出问题清单、任务清单、责任清单，确保整治取得实效。",
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
        lead_unit=f"{org.short_name or org.name}{lead}",
        co_units="纪委监委、组织部、宣传部",
    )


def _plan(programme, org, number, campaign) -> ProgrammePlan:
    upload = SimpleUploadedFile("实施方案.pdf", PLAN_PDF, content_type="application/pdf")
    checked = check_upload(upload)
    issued = min(campaign.starts_on + timedelta(days=10 + number), today())
    short = org.short_name or org.name
    return ProgrammePlan.objects.create(
        org=org,
        org_path=org.path,
        programme=programme,
        title=f"{short}关于{programme.name}的实施方案",
        doc_number=f"{short}党办发〔{issued.year}〕{20 + number}号",
        issued_on=issued,
        original_name=f"{short}{programme.name}实施方案.pdf"[:200],
        stored_name=store_upload(upload, checked),
        kind=checked.kind,
        size=checked.size,
        sha256=checked.sha256,
    )


def _tag(rng, programme, path, titles, per, used: set[int]) -> None:
    """Tag up to `per` untagged, non-immediate ledger problems of the subtree whose title is one
    of `titles` as the programme's items."""
    if not titles:
        return
    candidates = list(
        Problem.objects.filter(
            subtree_q("org_path", path), campaign=programme.campaign, immediate=False
        )
        .filter(title__in=titles)
        .exclude(pk__in=used)
        .values_list("pk", "org_id", "org_path")
        .order_by("pk")[: per * 20]
    )
    chosen = rng.sample(candidates, min(per, len(candidates)))
    used.update(pk for pk, _, _ in chosen)
    ProgrammeItem.objects.bulk_create(
        ProgrammeItem(org_id=org_id, org_path=org_path, programme=programme, problem_id=pk)
        for pk, org_id, org_path in chosen
    )
