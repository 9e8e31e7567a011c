import pytest
from django.db import DatabaseError, connection, transaction

from luoshi.core.errors import Conflict
from luoshi.rectification import services
from luoshi.rectification.models import LedgerEvent

pytestmark = pytest.mark.django_db


def test_every_change_is_in_the_history_with_before_and_after(ledger, people):
    p = ledger.problem
    services.update_problem(
        actor=people.branch_a1,
        problem_id=p.pk,
        version=p.version,
        title="服务群众的意识和能力不够强",
    )
    event = LedgerEvent.objects.filter(problem=p, action="problem_updated").get()
    assert event.before == {"title": "服务群众的意识不够强"}
    assert event.after == {"title": "服务群众的意识和能力不够强"}
    assert event.actor == people.branch_a1


def test_history_cannot_be_edited_or_deleted_through_the_orm(ledger):
    event = LedgerEvent.objects.first()
    event.note = "篡改"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
@pytest.mark.parametrize(
    "sql",
    ["UPDATE rectification_ledgerevent SET note = 'x'", "DELETE FROM rectification_ledgerevent"],
)
def test_history_refuses_raw_update_and_delete_on_postgresql(ledger, sql):
    count = LedgerEvent.objects.count()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql)
    assert LedgerEvent.objects.count() == count
    assert not LedgerEvent.objects.filter(note="x").exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_history_follows_a_moved_subtree_but_nothing_else_changes_on_postgresql(ledger):
    event = LedgerEvent.objects.first()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE rectification_ledgerevent SET org_path = '/moved' || org_path WHERE id = %s",
            [event.pk],
        )
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE rectification_ledgerevent SET org_path = 'x', note = 'x' WHERE id = %s",
                [event.pk],
            )
    moved = LedgerEvent.objects.get(pk=event.pk)
    assert moved.org_path == "/moved" + event.org_path and moved.note == event.note


def test_problem_edit_with_a_stale_version_is_a_conflict(ledger, people):
    p = ledger.problem
    services.update_problem(
        actor=people.branch_a1, problem_id=p.pk, version=p.version, description="第一次修改"
    )
    with pytest.raises(Conflict):
        services.update_problem(
            actor=people.branch_a1, problem_id=p.pk, version=p.version, description="第二个人的修改"
        )
    p.refresh_from_db()
    assert p.description == "第一次修改"
