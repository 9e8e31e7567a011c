"""R19: the server process killed with SIGKILL in the middle of a transition. Before the commit
the transition is wholly absent; after it, wholly there; never half, and nothing stays locked."""

import json
import subprocess
import threading
import urllib.error
import urllib.request

import pytest

from luoshi.accounts.tokens import issue_token
from luoshi.rectification.models import (
    LedgerEvent,
    MeasureState,
    Problem,
    ProblemStatus,
    Verification,
)
from tests.crash import (
    free_port,
    integrity_ok,
    kill9,
    luoshi_process,
    process_env,
    wait_for_http,
    wait_for_pause,
)
from tests.rectification.conftest import act, progress, reload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _post(url, token, body, answers):
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            answers.append(response.status)
    except urllib.error.HTTPError as error:
        answers.append(error.code)
    except OSError as error:  # the connection dies with the process
        answers.append(type(error).__name__)


@pytest.mark.parametrize("point", ["before_commit", "after_commit"])
def test_server_killed_mid_verification_leaves_it_wholly_done_or_not(
    ledger, people, tmp_path, point
):
    m = progress(people.branch_a1, ledger.measure)
    act(people.branch_a1, m, "submit")
    m = reload(m)
    version = m.version
    events = LedgerEvent.objects.filter(measure=m).count()
    token = issue_token(people.guidance_a)
    port, pause_file = free_port(), tmp_path / "paused"
    env = process_env(f"measure_transition.{point}", pause_file, DEBUG="0")
    server = luoshi_process(
        [
            "gunicorn",
            "luoshi.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--no-control-socket",  # not the user's shared one: other servers may be running
            # The worker respawned after the kill may still be starting when the test stops the
            # server; it need not be waited for 30 s (gunicorn's default).
            "--graceful-timeout",
            "3",
        ],
        env,
    )
    answers = []
    try:
        wait_for_http(port, server)
        url = f"http://127.0.0.1:{port}/api/v1/measures/{m.pk}/transitions"
        client = threading.Thread(
            target=_post, args=(url, token, {"action": "verify", "version": version}, answers)
        )
        client.start()
        worker = wait_for_pause(pause_file, server)
        assert worker != server.pid  # the gunicorn worker handling the request
        kill9(worker)
        client.join(timeout=60)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()  # only the test's own server; what is asserted below is the database
            server.wait(timeout=30)

    assert answers and answers[0] != 200  # the user never heard it succeed
    assert integrity_ok()
    after = reload(m)
    if point == "before_commit":
        assert after.state == MeasureState.SUBMITTED and after.version == version
        assert LedgerEvent.objects.filter(measure=m).count() == events
        assert not Verification.objects.filter(measure=m).exists()
        # nothing stays locked: the same step goes through now
        act(people.guidance_a, after, "verify")
        after = reload(m)
    assert after.state == MeasureState.CLOSED and after.version == version + 1
    assert LedgerEvent.objects.filter(measure=m).count() == events + 1
    assert Verification.objects.filter(measure=m).count() == 1
    assert Problem.objects.get(pk=m.problem_id).status == ProblemStatus.CLOSED
