"""A circular (通报) as a Word document in the official format, with the report's styles
(dashboards.word: GB/T 9704 page, title, body and heading fonts, page numbers): 文号 under the
title, the body, 好的做法 and 存在的问题, the figures quoted, the organisations and problems
named, then 发文单位 and the date on the right."""

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm
from docxtpl import DocxTemplate

from luoshi.dashboards.word import _date, _page_number, _styles


def _template() -> io.BytesIO:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    _styles(doc)
    _page_number(section)
    doc.add_paragraph("{{ title }}", style="公文标题")
    number = doc.add_paragraph("{{ number }}")
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    number.paragraph_format.first_line_indent = Mm(0)
    doc.add_paragraph("")
    doc.add_paragraph("{{ body }}")
    doc.add_paragraph("{%p for h, lines in parts %}")
    doc.add_paragraph("{{ h }}", style="Heading 1")
    doc.add_paragraph("{%p for line in lines %}")
    doc.add_paragraph("{{ line }}")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("")
    for text in ("{{ unit }}", "{{ date }}"):
        closing = doc.add_paragraph(text)
        closing.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    out = io.BytesIO()
    doc.save(out)
    out.seek(0)
    return out


def _parts(circular) -> list[tuple[str, list[str]]]:
    n = "一二三四五六"
    parts = []
    if circular.good_practice:
        parts.append(("好的做法", circular.good_practice.splitlines()))
    praised = [o.name for o in circular.praised.all()]
    if praised:
        parts.append(("予以表扬的单位", ["、".join(praised) + "。"]))
    if circular.problems_text:
        parts.append(("存在的问题", circular.problems_text.splitlines()))
    criticised = [o.name for o in circular.criticised.all()]
    if criticised:
        parts.append(("予以通报的单位", ["、".join(criticised) + "。"]))
    problems = [f"{p.org.name}：{p.title}" for p in circular.problems.select_related("org")]
    if problems:
        parts.append(("督导发现的具体问题", [f"{i}. {t}" for i, t in enumerate(problems, 1)]))
    if circular.figures:
        parts.append(("有关数据", ["；".join(f"{k}{v}" for k, v in circular.figures) + "。"]))
    return [
        (f"{n[i]}、{h}", [line for line in lines if line.strip()])
        for i, (h, lines) in enumerate(parts)
    ]


def render_circular(circular, target) -> None:
    doc = DocxTemplate(_template())
    doc.render(
        {
            "title": circular.title,
            "number": circular.number or "（草稿，未印发）",
            "body": circular.body,
            "parts": _parts(circular),
            "unit": circular.issuer_name,
            "date": _date(circular.issued_on) if circular.issued_on else "",
        },
        autoescape=True,  # typed text: "<" and "&" are characters, not XML
    )
    doc.save(target)
