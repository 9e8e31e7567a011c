"""The Word reports read as office documents: the title centred on the page."""

import io

import docx
import pytest
from django.core.management import call_command
from docx.enum.text import WD_ALIGN_PARAGRAPH

from tests.dashboards.test_dashboards import seeded  # noqa: F401

pytestmark = pytest.mark.django_db


def _effective(paragraph, attribute: str):
    """A paragraph format attribute as Word applies it: the paragraph's own, else its style's,
    else the style's base style's."""
    value = getattr(paragraph.paragraph_format, attribute)
    style = paragraph.style
    while value is None and style is not None:
        value = getattr(style.paragraph_format, attribute)
        style = style.base_style
    return value


@pytest.mark.parametrize("kind", ["progress", "summary"])
def test_word_report_title_is_centred_without_a_first_line_indent(seeded, tmp_path, kind):  # noqa: F811
    root, _ = seeded
    out = tmp_path / f"{kind}.docx"
    call_command("report", "--org", root.code, "--kind", kind, "-o", str(out), stdout=io.StringIO())
    title = docx.Document(out).paragraphs[0]
    assert root.name in title.text
    assert _effective(title, "alignment") == WD_ALIGN_PARAGRAPH.CENTER
    assert not _effective(title, "first_line_indent")  # an indent pushes it off the centre
    body = next(
        p
        for p in docx.Document(out).paragraphs[2:]
        if p.text.strip() and not p.style.name.startswith("Heading")
    )
    assert _effective(body, "first_line_indent").pt == 32  # body text keeps its two characters


@pytest.mark.parametrize("kind", ["progress", "summary"])
def test_a_module_paragraph_appears_in_both_word_reports(seeded, tmp_path, kind, monkeypatch):  # noqa: F811
    """A part of the campaign (programmes, weak organisations, …) writes its own paragraph from
    the subtree's figures through core.registry, without editing the report."""
    from luoshi.core import registry

    root, _ = seeded
    said = lambda org, figures: [f"{org.name}共有党组织{figures['organizations']}个（模块段落）。"]  # noqa: E731
    monkeypatch.setattr(registry, "REPORT_PARAGRAPHS", [said])
    out = tmp_path / f"{kind}.docx"
    call_command("report", "--org", root.code, "--kind", kind, "-o", str(out), stdout=io.StringIO())
    text = "\n".join(p.text for p in docx.Document(out).paragraphs)
    assert "（模块段落）" in text
    assert f"{root.name}共有党组织" in text
