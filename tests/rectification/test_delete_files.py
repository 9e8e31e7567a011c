"""Deleting a problem removes its evidence files from the file storage, once the deletion is
committed."""

import pytest
from django.core.files.storage import default_storage
from django.db import transaction

from luoshi.core.files import evidence_key
from luoshi.rectification import services
from luoshi.rectification.models import Evidence
from tests.rectification.conftest import progress

pytestmark = pytest.mark.django_db


def _stored_files(ledger, people) -> list[str]:
    progress(people.branch_a1, ledger.measure, percent=50)
    names = list(Evidence.objects.values_list("stored_name", flat=True))
    assert names and all(default_storage.exists(evidence_key(n)) for n in names)
    return names


def test_deleted_problem_leaves_no_evidence_file_in_storage(
    ledger, people, django_capture_on_commit_callbacks
):
    names = _stored_files(ledger, people)
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_problem(
            actor=people.branch_a1,
            problem_id=ledger.problem.pk,
            version=ledger.problem.version,
            reason="重复录入",
        )
    assert not Evidence.objects.exists()
    assert not any(default_storage.exists(evidence_key(n)) for n in names)


def test_rolled_back_deletion_keeps_the_evidence_files(
    ledger, people, django_capture_on_commit_callbacks
):
    names = _stored_files(ledger, people)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.delete_problem(
                actor=people.branch_a1,
                problem_id=ledger.problem.pk,
                version=ledger.problem.version,
                reason="重复录入",
            )
            raise RuntimeError("the caller's transaction fails after the deletion")
    assert callbacks == []
    assert Evidence.objects.count() == len(names)
    assert all(default_storage.exists(evidence_key(n)) for n in names)
