"""R12/R19: `luoshi import-ledger` killed with SIGKILL in the middle of writing. Killed before the
commit the import is wholly absent; after it, wholly present; importing the file again then
brings exactly what is missing (everything, or nothing)."""

import json
import subprocess
import sys

import pytest

from luoshi.core.models import AuditEvent
from luoshi.rectification.models import LedgerEvent, Measure, Problem, ProgressUpdate
from tests.crash import integrity_ok, kill9, luoshi_process, process_env, wait_for_pause
from tests.ledger_io.builders import messy_ledger

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _counts():
    return {
        "problems": Problem.objects.count(),
        "measures": Measure.objects.count(),
        "progress": ProgressUpdate.objects.count(),
        "history": LedgerEvent.objects.count(),
        "audited": AuditEvent.objects.filter(kind="import").count(),
    }


@pytest.mark.parametrize("point", ["before_commit", "after_commit"])
def test_import_killed_midway_is_wholly_absent_or_wholly_present(tree, campaign, tmp_path, point):
    sheet = tmp_path / "兴庆区台账.xlsx"
    sheet.write_bytes(messy_ledger())
    args = ["luoshi.cli", "import-ledger", str(sheet), "--org", tree.county_a.code]
    args += ["--campaign", campaign.slug, "--json"]
    pause_file = tmp_path / "paused"
    proc = luoshi_process(args, process_env(f"ledger_import.{point}", pause_file))
    assert wait_for_pause(pause_file, proc) == proc.pid
    kill9(proc.pid)
    proc.wait(timeout=30)

    assert integrity_ok()
    killed = _counts()
    again = subprocess.run(
        [sys.executable, "-m", *args],
        env=process_env("", pause_file),
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    result = json.loads(again.stdout)
    full = _counts()
    assert full["problems"] == 6 and full["audited"] == killed["audited"] + 1
    if point == "before_commit":
        assert killed == dict.fromkeys(killed, 0)  # not one row of it
        assert result["created"]["problems"] == 6
    else:
        assert killed == full | {"audited": 1}  # every row of it
        assert result["created"] == {"problems": 0, "measures": 0}
        assert result["updated"] == {"problems": 0, "measures": 0}
        assert result["progress_added"] == 0
