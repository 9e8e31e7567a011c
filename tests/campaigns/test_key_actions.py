"""Key actions (关键动作): launched to a subtree as one checklist per organisation, done with
evidence or proved by records, watched from above."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.http import Http404
from python_calamine import CalamineWorkbook

from luoshi.campaigns import selectors
from luoshi.campaigns import tallies as key_action_tallies
from luoshi.campaigns.models import ActionItem, Proof
from luoshi.campaigns.services import (
    define_key_action,
    launch_key_actions,
    mark_action_done,
    move_to_batch,
    reopen_action,
    save_batch,
)
from luoshi.core.errors import Invalid, NotAllowed
from luoshi.core.paths import subtree_q
from luoshi.rectification import services as ledger
from luoshi.rectification.models import today
from luoshi.research import services as research
from luoshi.study import services as study
from tests.factories import make_org, user_with
from tests.rectification.conftest import _media, campaign, pdf  # noqa: F401

pytestmark = pytest.mark.django_db
BRANCHES = ["branch", "general_branch"]


def _action(office, campaign, name="专题党课", proof=Proof.LESSON, kinds=BRANCHES, days=10):  # noqa: F811
    return define_key_action(
        actor=office,
        campaign_id=campaign.pk,
        name=name,
        due_on=today() + timedelta(days=days),
        proof=proof,
        kinds=kinds,
        evidence_required="党课讲稿、照片",
    )


def _lesson(user, org, on=None, topic="守初心、担使命"):
    return study.record_activity(
        actor=user, org=org, kind="lesson", topic=topic, speaker="书记", starts_on=on or today()
    )


def test_launch_gives_each_organisation_of_the_kind_its_checklist_once(tree, users, campaign):  # noqa: F811
    lesson = _action(users.office, campaign)
    everyone = _action(users.office, campaign, name="动员部署", proof=Proof.MANUAL, kinds=[])
    assert launch_key_actions(actor=users.office, campaign_id=campaign.pk) == 4 + 9
    assert set(lesson.items.values_list("org_id", flat=True)) == {
        tree.branch_a1.pk,
        tree.branch_a2.pk,
        tree.branch_b1.pk,
        tree.branch_b2.pk,
    }
    assert everyone.items.count() == 9
    assert ActionItem.objects.filter(state="pending").count() == 13
    # Launching again adds only what is missing: a branch founded since.
    assert launch_key_actions(actor=users.office, campaign_id=campaign.pk) == 0
    make_org(tree.town_a, name="甲三社区党支部")
    assert launch_key_actions(actor=users.office, campaign_id=campaign.pk) == 2


def test_a_batch_launch_reaches_only_the_batch_subtrees(tree, users, campaign):  # noqa: F811
    batch, _, _ = save_batch(
        actor=users.office,
        campaign_id=campaign.pk,
        name="第二批",
        starts_on=today(),
        ends_on=today() + timedelta(days=90),
    )
    move_to_batch(
        actor=users.office, campaign_id=campaign.pk, batch_id=batch.pk, org_id=tree.county_a.pk
    )
    define_key_action(
        actor=users.office,
        campaign_id=campaign.pk,
        name="专题组织生活会",
        due_on=today() + timedelta(days=20),
        batch_id=batch.pk,
    )
    created = launch_key_actions(actor=users.office, campaign_id=campaign.pk, batch_id=batch.pk)
    paths = set(ActionItem.objects.values_list("org_path", flat=True))
    assert created == 4 and all(p.startswith(tree.county_a.path) for p in paths)


def test_only_the_campaign_office_defines_and_launches(tree, users, campaign):  # noqa: F811
    with pytest.raises(NotAllowed):
        _action(users.county_a, campaign)
    _action(users.office, campaign)
    with pytest.raises(NotAllowed):
        launch_key_actions(actor=users.branch_a1, campaign_id=campaign.pk)
    assert not ActionItem.objects.exists()


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"name": " "}, "请填写关键动作名称"),
        ({"kinds": ["branch", "club"]}, "未知的组织类别"),
        ({"due_days": -60}, "不能早于主题教育开始日期"),
        ({"proof": "photo"}, "未知的完成依据"),
    ],
)
def test_a_bad_key_action_is_refused_with_the_reason(users, campaign, changes, message):  # noqa: F811
    args = {"name": "动员部署", "kinds": [], "proof": Proof.MANUAL, "due_days": 10}
    args.update(changes)
    with pytest.raises(Invalid, match=message):
        define_key_action(
            actor=users.office,
            campaign_id=campaign.pk,
            name=args["name"],
            due_on=today() + timedelta(days=args["due_days"]),
            proof=args["proof"],
            kinds=args["kinds"],
        )
    assert not campaign.key_actions.exists()


def test_a_recorded_party_lesson_marks_the_key_action_done(tree, users, campaign):  # noqa: F811
    action = _action(users.office, campaign)
    launch_key_actions(actor=users.office, campaign_id=campaign.pk)
    _lesson(users.branch_a1, tree.branch_a1, topic="牢记初心使命")
    item = action.items.get(org=tree.branch_a1)
    assert item.state == "done" and item.auto and item.done_on == today()
    assert "牢记初心使命" in item.proof_note
    assert action.items.get(org=tree.branch_a2).state == "pending"


def test_launching_late_credits_records_already_kept(tree, users, campaign):  # noqa: F811
    _lesson(users.branch_a1, tree.branch_a1, on=today() - timedelta(days=3))
    # A lesson held before the campaign started proves nothing.
    _lesson(users.branch_b1, tree.branch_b1, on=campaign.starts_on - timedelta(days=1))
    action = _action(users.office, campaign)
    launch_key_actions(actor=users.office, campaign_id=campaign.pk)
    assert action.items.get(org=tree.branch_a1).state == "done"
    assert action.items.get(org=tree.branch_a1).done_on == today() - timedelta(days=3)
    assert action.items.get(org=tree.branch_b1).state == "pending"


def test_listing_problems_and_visiting_prove_their_actions(tree, users, campaign):  # noqa: F811
    listed = _action(users.office, campaign, name="检视问题", proof=Proof.PROBLEMS, kinds=[])
    visits = _action(users.office, campaign, name="调查研究", proof=Proof.VISIT, kinds=[])
    launch_key_actions(actor=users.office, campaign_id=campaign.pk)
    ledger.create_problem(
        actor=users.county_a, org=tree.county_a, campaign=campaign, title="调研不深入"
    )
    topic = research.create_topic(
        actor=users.county_a, org=tree.county_a, title="营商环境", leader_name="王书记"
    )
    research.record_visit(actor=users.county_a, topic_id=topic.pk, visited_on=today(), place="甲村")
    assert listed.items.get(org=tree.county_a).state == "done"
    assert visits.items.get(org=tree.county_a).state == "done"
    assert listed.items.filter(state="done").count() == 1


def test_marking_done_by_hand_needs_the_evidence_and_the_role(tree, users, campaign):  # noqa: F811
    action = _action(users.office, campaign, name="动员部署", proof=Proof.MANUAL)
    launch_key_actions(actor=users.office, campaign_id=campaign.pk)
    item = action.items.get(org=tree.branch_a1)
    with pytest.raises(Invalid, match="请上传佐证材料：党课讲稿、照片"):
        mark_action_done(actor=users.branch_a1, item_id=item.pk, done_on=today())
    leader = user_with(tree.branch_a1, "leader", username="a1_leader")
    with pytest.raises(NotAllowed):
        mark_action_done(actor=leader, item_id=item.pk, done_on=today(), upload=pdf())
    with pytest.raises(Http404):
        mark_action_done(actor=users.branch_b1, item_id=item.pk, done_on=today(), upload=pdf())
    with pytest.raises(Invalid, match="内容不是允许的类型"):
        mark_action_done(
            actor=users.branch_a1,
            item_id=item.pk,
            done_on=today(),
            upload=pdf("动员.pdf", b"MZ not a pdf"),
        )
    item.refresh_from_db()
    assert item.state == "pending"
    mark_action_done(
        actor=users.branch_a1, item_id=item.pk, done_on=today(), note="已召开", upload=pdf()
    )
    item.refresh_from_db()
    assert item.state == "done" and not item.auto and item.evidence_name == "整改佐证.pdf"


def test_the_level_above_can_send_a_done_item_back(tree, users, campaign, client):  # noqa: F811
    action = _action(users.office, campaign, name="动员部署", proof=Proof.MANUAL)
    launch_key_actions(actor=users.office, campaign_id=campaign.pk)
    item = action.items.get(org=tree.branch_a1)
    mark_action_done(actor=users.branch_a1, item_id=item.pk, done_on=today(), upload=pdf())
    with pytest.raises(NotAllowed):
        reopen_action(actor=users.branch_a1, item_id=item.pk, reason="自己退回")
    guidance = user_with(tree.county_a, "guidance", username="guide_a")
    reopen_action(actor=guidance, item_id=item.pk, reason="照片不清")
    item.refresh_from_db()
    assert item.state == "pending" and "照片不清" in item.proof_note


def test_the_county_sees_who_is_late_in_its_subtree_only(tree, users, campaign, client):  # noqa: F811
    action = _action(users.office, campaign, days=10)
    late = _action(users.office, campaign, name="动员部署", proof=Proof.MANUAL, days=10)
    launch_key_actions(actor=users.office, campaign_id=campaign.pk)
    ActionItem.objects.filter(action=late).update(due_on=today() - timedelta(days=2))
    pending = selectors.pending_items(users.county_a, campaign, tree.county_a.path)
    assert {i.org_id for i in pending} == {tree.branch_a1.pk, tree.branch_a2.pk}
    overdue = selectors.pending_items(
        users.county_a, campaign, tree.county_a.path, overdue_only=True
    )
    assert {i.action_id for i in overdue} == {late.pk}
    client.force_login(users.county_a)
    page = client.get(f"/campaigns/{campaign.pk}/actions/?overdue=1").content.decode()
    assert "甲一社区党支部" in page and "乙一村党支部" not in page and "逾期" in page
    progress = {p.action.name: p for p in selectors.action_progress(campaign, tree.county_a.path)}
    assert progress["动员部署"].overdue == 2 and progress["专题党课"].total == 2
    del action


def test_my_work_lists_the_checklist_of_my_own_organisation(tree, users, campaign, client):  # noqa: F811
    _action(users.office, campaign, name="专题党课")
    launch_key_actions(actor=users.office, campaign_id=campaign.pk)
    client.force_login(users.branch_a1)
    page = client.get("/my-work/").content.decode()
    assert "关键动作待完成" in page and "专题党课" in page
    _lesson(users.branch_a1, tree.branch_a1)
    assert "关键动作待完成" not in client.get("/my-work/").content.decode()


def test_figures_and_the_status_table_equal_direct_counts(tree, users, campaign, client):  # noqa: F811
    _action(users.office, campaign)
    late = _action(users.office, campaign, name="动员部署", proof=Proof.MANUAL, kinds=[])
    launch_key_actions(actor=users.office, campaign_id=campaign.pk)
    # Make the action late (around the services, so its tally is recounted by hand).
    ActionItem.objects.filter(action=late).update(due_on=today() - timedelta(days=1))
    key_action_tallies.refresh(ActionItem.objects.values_list("org_path", flat=True))
    _lesson(users.branch_a1, tree.branch_a1)
    for org in (tree.city, tree.county_a, tree.town_b, tree.branch_a1):
        items = ActionItem.objects.filter(subtree_q("org_path", org.path))
        figures = selectors.key_action_figures(org.path)
        assert figures["key_action_items"] == items.count()
        assert figures["key_action_items_done"] == items.filter(state="done").count()
        assert (
            figures["key_action_items_overdue"]
            == items.filter(state="pending", due_on__lt=today()).count()
        )
    client.force_login(users.county_a)
    response = client.get(f"/campaigns/{campaign.pk}/actions/export/")
    assert response.status_code == 200
    rows = CalamineWorkbook.from_filelike(BytesIO(response.content)).get_sheet_by_index(0)
    rows = rows.to_python()
    assert "关键动作推进情况表" in rows[0][0]
    assert rows[2] == ["序号", "党组织", "专题党课", "动员部署"]
    body = {r[1]: r[2:] for r in rows[3:]}
    assert set(body) == {"甲区委", "甲一街道党工委", "甲一社区党支部", "甲二社区党支部"}
    assert body["甲一社区党支部"][0].startswith("已完成")
    assert body["甲二社区党支部"] == ["未完成", "逾期未完成"]
    assert body["甲区委"] == ["—", "逾期未完成"]


def test_the_api_lists_the_checklist_and_marks_an_item_done(tree, users, campaign, client):  # noqa: F811
    from luoshi.accounts.tokens import issue_token

    action = _action(users.office, campaign, name="动员部署", proof=Proof.MANUAL)
    launch_key_actions(actor=users.office, campaign_id=campaign.pk)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(users.branch_a1)}"}
    items = client.get(f"/api/v1/organizations/{tree.branch_a1.pk}/checklist", **auth).json()
    assert [i["action"] for i in items] == ["动员部署"] and items[0]["state"] == "pending"
    missing = client.post(
        f"/api/v1/action-items/{items[0]['id']}/done", {"done_on": "2099-01-01"}, **auth
    )
    assert missing.status_code in (400, 422)
    done = client.post(
        f"/api/v1/action-items/{items[0]['id']}/done",
        {"done_on": today().isoformat(), "evidence": pdf()},
        **auth,
    )
    assert done.status_code == 200 and done.json()["state"] == "done"
    progress = client.get(
        f"/api/v1/campaigns/{campaign.pk}/key-actions?org={tree.town_a.pk}", **auth
    )
    assert progress.status_code == 404  # the town is above the branch: not in its scope
    office = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(users.office)}"}
    progress = client.get(f"/api/v1/campaigns/{campaign.pk}/key-actions", **office).json()
    assert progress[0]["done"] == 1 and progress[0]["total"] == action.items.count()
