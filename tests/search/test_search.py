"""Chinese full-text search: jieba's words in SQLite FTS5 / PostgreSQL tsvector, scoped to the
user's subtree, kept by the services and rebuilt by `luoshi reindex-search`."""

from datetime import timedelta

import pytest
from django.core.management import call_command

from luoshi.opinions import services as opinion_services
from luoshi.rectification import services
from luoshi.rectification.models import Problem, today
from luoshi.research import services as research_services
from luoshi.search import selectors
from luoshi.search.models import SearchEntry
from luoshi.study import services as study_services


def _problem(actor, org, campaign, title, description=""):
    return services.create_problem(
        actor=actor, org=org, campaign=campaign, title=title, description=description
    )


@pytest.fixture
def problems(tree, campaign, people):
    lamp = _problem(
        people.branch_a1,
        tree.branch_a1,
        campaign,
        "民生领域短板较多",
        "农村人居环境整治进度不快，村口路灯长期不亮，群众夜间出行不便",
    )
    business = _problem(
        people.county_a, tree.county_a, campaign, "营商环境还需优化", "审批环节多、时限长"
    )
    other = _problem(people.branch_a1, tree.branch_a1, campaign, "理论学习不够深入系统")
    foreign = _problem(
        people.branch_b1, tree.branch_b1, campaign, "乙村路灯不亮", "村口路灯坏了两个月"
    )
    return lamp, business, other, foreign


def _found(user, query, kind="problem"):
    return set(selectors.matching_ids(user, kind, query).values_list("object_id", flat=True))


def test_two_words_in_either_order_find_the_problem(problems, people):
    lamp, business, other, _ = problems
    for query in ("路灯 村口", "村口 路灯", "村口路灯"):
        assert _found(people.branch_a1, query) == {lamp.pk}, query
    for query in ("营商 环境", "环境 营商", "营商环境"):
        assert _found(people.county_a, query) == {business.pk}, query
    assert _found(people.county_a, "路灯 营商") == set()  # every word must be in a hit


def test_ledger_search_box_finds_both_words_in_either_order(client, problems, people):
    lamp, _, other, foreign = problems
    client.force_login(people.branch_a1)
    for query in ("路灯 村口", "村口 路灯"):
        page = client.get("/ledger/", {"q": query}).content.decode()
        assert "民生领域短板较多" in page and other.title not in page, query
        assert foreign.title not in page


def test_search_finds_no_hits_outside_the_users_subtree(problems, people):
    lamp, business, _, foreign = problems
    assert _found(people.branch_b1, "路灯 村口") == {foreign.pk}
    assert _found(people.branch_a1, "路灯") == {lamp.pk}
    assert _found(people.branch_b1, "营商 环境") == set()  # the county's, above the branch
    assert _found(people.office, "路灯") == {lamp.pk, foreign.pk}
    groups = selectors.search(people.branch_b1, "路灯")
    assert [h.object_id for g in groups for h in g.hits] == [foreign.pk]


def test_search_page_groups_hits_by_kind_with_links(client, tree, campaign, people, users):
    lamp = _problem(people.branch_a1, tree.branch_a1, campaign, "村口路灯长期不亮")
    measure = services.add_measure(
        actor=people.branch_a1,
        problem=lamp,
        content="维修村口路灯，每月巡查一次",
        due_on=today() + timedelta(days=30),
    )
    opinion, _ = opinion_services.record_opinion(
        actor=people.branch_a1,
        org=tree.branch_a1,
        channel="talk",
        topic="livelihood",
        text="村口的路灯晚上不亮，老人出门不方便",
    )
    study_services.record_activity(
        actor=people.branch_a1,
        org=tree.branch_a1,
        kind="lesson",
        topic="为群众办实事：村口路灯亮起来",
        speaker="李书记",
        starts_on=today(),
    )
    topic = research_services.create_topic(
        actor=users.county_a, org=tree.county_a, title="农村公共设施调研", leader_name="王明"
    )
    research_services.record_visit(
        actor=users.county_a,
        topic_id=topic.pk,
        visited_on=today(),
        place="甲村",
        findings=["村口路灯损坏无人修"],
    )
    client.force_login(people.office)
    response = client.get("/search/", {"q": "路灯 村口"})
    page = response.content.decode()
    kinds = [g.kind for g in response.context["groups"]]
    assert kinds == ["problem", "measure", "opinion", "study", "research"]
    assert f"/problems/{lamp.pk}/" in page
    assert f"/problems/{lamp.pk}/#measure-{measure.pk}" in page
    assert f"/opinions/{opinion.pk}/" in page and f"/research/{topic.pk}/" in page
    assert "没有找到" in client.get("/search/", {"q": "不存在的词语组合"}).content.decode()


def test_index_kept_on_create_edit_and_delete(problems, people):
    lamp, *_ = problems
    assert _found(people.branch_a1, "夜间 出行") == {lamp.pk}
    services.update_problem(
        actor=people.branch_a1,
        problem_id=lamp.pk,
        version=lamp.version,
        description="老旧小区改造进度慢，楼道照明缺失",
    )
    assert _found(people.branch_a1, "路灯") == set()
    assert _found(people.branch_a1, "楼道 照明") == {lamp.pk}
    measure = services.add_measure(
        actor=people.branch_a1, problem=lamp, content="更换楼道感应灯", due_on=today()
    )
    assert _found(people.branch_a1, "感应灯", "measure") == {measure.pk}
    services.update_measure(
        actor=people.branch_a1, measure_id=measure.pk, version=1, content="加装太阳能照明"
    )
    assert _found(people.branch_a1, "太阳能", "measure") == {measure.pk}
    lamp.refresh_from_db()
    services.delete_problem(
        actor=people.branch_a1, problem_id=lamp.pk, version=lamp.version, reason="重复录入"
    )
    assert _found(people.branch_a1, "楼道") == set()
    assert not SearchEntry.objects.filter(kind="measure", object_id=measure.pk).exists()


def test_reindex_command_rebuilds_the_index_from_the_records(problems, people):
    lamp, business, *_ = problems
    SearchEntry.objects.filter(object_id=lamp.pk).delete()
    SearchEntry.objects.create(
        kind="problem",
        object_id=10**9,
        page_id=10**9,
        org=lamp.org,
        title="已删除",
        text="路灯",
        tokens="路灯 村口",
    )
    assert _found(people.branch_a1, "路灯 村口") == {10**9}
    call_command("reindex-search", stdout=None)
    assert _found(people.branch_a1, "路灯 村口") == {lamp.pk}
    assert _found(people.county_a, "营商 环境") == {business.pk}


def test_a_single_character_is_found_inside_words(problems, people):
    lamp, *_ = problems
    assert _found(people.branch_a1, "灯") == {lamp.pk}
    assert _found(people.branch_a1, "灯 村口") == {lamp.pk}
    assert _found(people.branch_a1, "，。") == set()


def test_a_ledger_import_is_indexed_and_a_reimport_writes_no_entry(
    tree, people, campaign, django_capture_on_commit_callbacks
):
    """The import's problems and measures are indexed on the task queue once it commits (the
    immediate backend here); a re-import that changes nothing indexes nothing."""
    from luoshi.ledger_io.importer import import_ledger
    from luoshi.search import services as search
    from tests.ledger_io.builders import messy_ledger

    data = messy_ledger()
    args = {"actor": people.office, "data": data, "name": "台账.xlsx", "org": tree.county_a}
    with django_capture_on_commit_callbacks(execute=False) as waiting:
        result = import_ledger(**args, add_missing=True)
    assert result.errors == [] and result.written
    assert not _found(people.county_a, "办事 群众")  # not yet: the task runs after the commit
    for callback in waiting:
        callback()
    found = _found(people.county_a, "办事 群众")
    titles = set(Problem.objects.filter(pk__in=found).values_list("title", flat=True))
    assert "群众办事多头跑" in titles
    assert _found(people.county_a, "一窗受理", "measure")
    with django_capture_on_commit_callbacks(execute=False) as waiting:
        import_ledger(**args, add_missing=True)
    assert waiting == []  # nothing written, nothing to index
    assert search.reindex_subtree(["problem", "measure"], tree.county_a.path) == 0


def test_the_opinion_study_and_research_lists_find_words_in_either_order(
    client, tree, campaign, people, users
):
    opinion_services.record_opinion(
        actor=people.branch_a1,
        org=tree.branch_a1,
        channel="talk",
        topic="livelihood",
        text="村口的路灯晚上不亮，老人出门不方便",
    )
    study_services.record_activity(
        actor=people.branch_a1,
        org=tree.branch_a1,
        kind="lesson",
        topic="为群众办实事：村口路灯亮起来",
        speaker="李书记",
        starts_on=today(),
    )
    research_services.create_topic(
        actor=users.county_a, org=tree.county_a, title="村口路灯维护调研", leader_name="王明"
    )
    client.force_login(people.office)
    pages = {
        "/opinions/": "老人出门不方便",
        f"/study/?org={tree.city.pk}": "村口路灯亮起来",
        f"/research/?org={tree.city.pk}": "村口路灯维护调研",
    }
    for url, text in pages.items():
        sep = "&" if "?" in url else "?"
        assert text in client.get(f"{url}{sep}q=路灯 村口").content.decode(), url
        assert text not in client.get(f"{url}{sep}q=路灯 营商").content.decode(), url
