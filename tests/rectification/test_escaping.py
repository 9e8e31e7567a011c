"""R8: script and event-handler payloads typed into the ledger's text fields and file names are
shown as text on every page that shows them, under the content security policy."""

import pytest
from django.urls import reverse

from luoshi.rectification import services
from tests.rectification.conftest import pdf, reload

pytestmark = pytest.mark.django_db
SCRIPT = "<script>alert(1)</script>"
HANDLER = '<img src=x onerror="alert(2)">'


def test_payloads_in_text_fields_and_file_names_are_escaped_everywhere(client, ledger, people):
    problem, m = ledger.problem, reload(ledger.measure)
    services.update_problem(
        actor=people.branch_a1,
        problem_id=problem.pk,
        version=problem.version,
        title=f"问题{SCRIPT}",
        description=HANDLER,
        responsible_leaders=HANDLER,
    )
    services.report_progress(
        actor=people.branch_a1,
        measure_id=m.pk,
        version=m.version,
        text=f"进展{SCRIPT}{HANDLER}",
        progress=40,
        files=[pdf(f"佐证{HANDLER}.pdf")],
    )
    client.force_login(people.branch_a1)
    pages = [
        reverse("rectification:problem", args=[problem.pk]),
        reverse("rectification:ledger"),
        reverse("rectification:my_work"),
    ]
    escaped_script = "&lt;script&gt;alert(1)&lt;/script&gt;"
    escaped_handler = "&lt;img src=x onerror="
    for url in pages:
        response = client.get(url)
        html = response.content.decode()
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert SCRIPT not in html and "<img src=x" not in html, url
        assert escaped_script in html, url  # the title is there, as text
    problem_page = client.get(pages[0]).content.decode()
    assert problem_page.count(escaped_handler) >= 2  # description, leaders, file name
