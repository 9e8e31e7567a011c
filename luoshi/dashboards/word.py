"""Word reports in the official document format (GB/T 9704-2012): A4, margins 37/35/28/26 mm,
title in 方正小标宋简体 2号, body in 仿宋_GB2312 3号 on a fixed 28.95 pt line, headings in 黑体 and
楷体_GB2312, page numbers "— 1 —" in 宋体 4号. The layout lives in a template built here with
python-docx (fonts set in the styles, East Asian font included); docxtpl fills it, so the
wording and the figures stay apart. Machines without the official fonts fall back to what they
have when the file is opened or converted."""

import io
from datetime import date

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from docx import Document  # noqa: E402
from docx.enum.section import WD_ORIENT  # noqa: E402
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING  # noqa: E402
from docx.oxml import OxmlElement  # noqa: E402
from docx.oxml.ns import qn  # noqa: E402
from docx.shared import Mm, Pt  # noqa: E402
from docxtpl import DocxTemplate, InlineImage  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from luoshi.core.registry import report_paragraphs  # noqa: E402

CJK_FONTS = ["/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"]
TITLE, BODY, H1, H2, PAGE = "方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312", "宋体"


def _font(style_or_run, name: str, size: float | None = None, bold: bool = False) -> None:
    font = style_or_run.font
    font.name = name
    if size:
        font.size = Pt(size)
    font.bold = bold
    rpr = style_or_run.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)


def _page_number(section) -> None:
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = footer.add_run("— ")
    _font(run, PAGE, 14)
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        run = footer.add_run()
        _font(run, PAGE, 14)
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        else:
            instr = OxmlElement("w:instrText")
            instr.text = text
            run._r.append(instr)
    run = footer.add_run(" —")
    _font(run, PAGE, 14)


def _styles(doc) -> None:
    normal = doc.styles["Normal"]
    _font(normal, BODY, 16)
    fmt = normal.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(28.95)
    fmt.first_line_indent = Pt(32)
    fmt.space_after = Pt(0)
    # Our own title and figure styles: Word's built-in Title carries a rule and a colour.
    from docx.enum.style import WD_STYLE_TYPE

    title = doc.styles.add_style("公文标题", WD_STYLE_TYPE.PARAGRAPH)
    title.base_style = normal
    figure = doc.styles.add_style("图", WD_STYLE_TYPE.PARAGRAPH)
    figure.base_style = normal
    figure.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    figure.paragraph_format.first_line_indent = Pt(0)
    figure.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    cell = doc.styles.add_style("表格文字", WD_STYLE_TYPE.PARAGRAPH)
    cell.base_style = normal
    _font(cell, BODY, 12)
    cell.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    cell.paragraph_format.first_line_indent = Pt(0)
    for name, font, size in (("公文标题", TITLE, 22), ("Heading 1", H1, 16), ("Heading 2", H2, 16)):
        style = doc.styles[name]
        _font(style, font, size)
        style.font.color.rgb = None
        style.paragraph_format.first_line_indent = Pt(0 if name == "公文标题" else 32)
        style.paragraph_format.space_before = Pt(0)
        style.paragraph_format.space_after = Pt(0)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.line_spacing = Pt(36)


def _template(kind: str) -> io.BytesIO:
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    _styles(doc)
    _page_number(section)
    doc.add_paragraph("{{ title }}", style="公文标题")
    doc.add_paragraph("")
    if kind == "progress":
        doc.add_paragraph("{{ intro }}")
        doc.add_paragraph("一、总体进展", style="Heading 1")
        doc.add_paragraph("{{ overall }}")
        doc.add_paragraph("{%p for line in more %}")
        doc.add_paragraph("{{ line }}")
        doc.add_paragraph("{%p endfor %}")
        doc.add_paragraph("{{ chart_status }}", style="图")
        doc.add_paragraph("二、各单位进展", style="Heading 1")
        table = doc.add_table(rows=3, cols=7)
        table.style = "Table Grid"
        heads = ["单位", "问题", "措施", "已销号", "销号率", "逾期", "红灯"]
        for cell, text in zip(table.rows[0].cells, heads, strict=True):
            cell.text = text
        loop = ["{%tr for r in rows %}", "", "", "", "", "", ""]
        for cell, text in zip(table.rows[1].cells, loop, strict=True):
            cell.text = text
        body = [
            "{{ r.name }}",
            "{{ r.problems }}",
            "{{ r.measures }}",
            "{{ r.closed }}",
            "{{ r.rate }}%",
            "{{ r.overdue }}",
            "{{ r.red }}",
        ]
        row = table.add_row()
        for cell, text in zip(row.cells, body, strict=True):
            cell.text = text
        end = table.add_row()
        end.cells[0].text = "{%tr endfor %}"
        widths = [Mm(46)] + [Mm(17.6)] * 6
        for cells in table.rows:
            for cell, width in zip(cells.cells, widths, strict=True):
                cell.width = width
                for p in cell.paragraphs:
                    p.style = doc.styles["表格文字"]
        # the third pre-made row is not needed
        table._tbl.remove(table.rows[2]._tr)
        doc.add_paragraph("{{ chart_overdue }}", style="图")
        doc.add_paragraph("三、存在的问题", style="Heading 1")
        doc.add_paragraph("{%p for line in problems %}")
        doc.add_paragraph("{{ line }}")
        doc.add_paragraph("{%p endfor %}")
        doc.add_paragraph("四、下一步工作", style="Heading 1")
        doc.add_paragraph("{{ next_steps }}")
    else:
        doc.add_paragraph("{%p for part in parts %}")
        doc.add_paragraph("{{ part }}")
        doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("")
    closing = doc.add_paragraph("{{ unit }}")
    closing.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    dated = doc.add_paragraph("{{ date }}")
    dated.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    out = io.BytesIO()
    doc.save(out)
    out.seek(0)
    return out


def _chart(kind: str, rows: list[tuple[str, float]], title: str) -> io.BytesIO:
    for path in CJK_FONTS:
        try:
            font_manager.fontManager.addfont(path)
        except (FileNotFoundError, RuntimeError):
            continue
    plt.rcParams["font.sans-serif"] = ["Noto Sans CJK SC", "Noto Sans CJK JP", "DejaVu Sans"]
    fig, ax = plt.subplots(figsize=(6.4, 3.2), dpi=150)
    labels = [r[0] for r in rows] or ["暂无数据"]
    values = [r[1] for r in rows] or [0]
    if kind == "pie" and sum(values):
        ax.pie(
            values,
            labels=labels,
            autopct="%1.0f%%",
            startangle=90,
            colors=["#c8102e", "#206bc4", "#2fb344", "#f59f00"],
        )
        ax.axis("equal")
    else:
        ax.bar(labels, values, color="#c8102e")
        ax.tick_params(axis="x", labelrotation=35, labelsize=7)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    out.seek(0)
    return out


def _date(on: date) -> str:
    return f"{on.year}年{on.month}月{on.day}日"


def render_progress(
    *, target, org, campaign, figures, measures, rows, charts, overdue, on: date
) -> None:
    doc = DocxTemplate(_template("progress"))
    closed, total = measures["closed"], measures["measures"]
    intro = (
        f"按照{campaign.name if campaign else '主题教育'}的部署要求，现将{org.name}"
        f"整改落实进展情况报告如下。"
    )
    overall = (
        f"截至{_date(on)}，{org.name}及所属{figures['organizations'] - 1}个党组织共查摆问题"
        f"{sum(n for _, n in charts['status'])}个，制定整改措施{total}条，已销号{closed}条，"
        f"销号率{measures['closure_rate']}%，其中按期销号率{measures['on_time_rate']}%；"
        f"{measures['overdue']}条措施已逾期，{measures['returned']}条被退回重新整改。"
        f"立查立改问题{figures['immediate_problems']}个，已完成{figures['immediate_closed']}个；"
        f"建章立制{figures['regulations']}项。"
    )
    problems = [
        f"{m.org.name}：“{m.problem.title}”的整改措施“{m.content[:30]}”于{_date(m.due_on)}"
        f"到期，至今未销号。"
        for m in overdue
    ] or ["目前没有逾期未销号的整改措施。"]
    worst = sorted(
        (r for r in rows if r.figures["measures"]), key=lambda r: r.figures["closure_rate"]
    )[:3]
    next_steps = (
        "对逾期和亮红灯的整改措施逐项督办，"
        + (f"重点督促{'、'.join(r.org.display_name for r in worst)}加快整改进度，" if worst else "")
        + "对申请销号的措施及时核验，确保问题整改到位、群众满意。"
    )
    context = {
        "title": f"{org.name}关于整改落实进展情况的报告",
        "intro": intro,
        "overall": overall,
        "more": report_paragraphs(org, figures),
        "rows": [
            {
                "name": r.org.display_name,
                "problems": r.figures["problems"],
                "measures": r.figures["measures"],
                "closed": r.figures["closed"],
                "rate": r.figures["closure_rate"],
                "overdue": r.figures["overdue"],
                "red": r.figures["red"],
            }
            for r in rows
        ],
        "problems": problems,
        "next_steps": next_steps,
        "unit": org.name,
        "date": _date(on),
        "chart_status": InlineImage(
            doc, _chart("pie", charts["status"], "问题整改状态"), width=Mm(140)
        ),
        "chart_overdue": InlineImage(
            doc, _chart("bar", charts.get("overdue_by_child", []), "各单位逾期措施"), width=Mm(150)
        ),
    }
    doc.render(context)
    doc.save(target)


def _study_and_research(org, figures) -> list[str]:
    """The study and research paragraphs of the summary, in seed 003's words, from the figures."""
    parts = []
    if figures.get("study_activities"):
        own_self, own_disc = figures["own_team_self_study"], figures["own_team_discussions"]
        below_self = figures["team_self_study"] - own_self
        below_disc = figures["team_discussions"] - own_disc
        text = "在学习教育上，"
        if own_self or own_disc:
            text += f"{org.display_name}领导班子集体自学{own_self}次，交流研讨{own_disc}次，"
            text += "示范带动"
        text += f"各级领导班子集中自学{below_self}次、交流研讨{below_disc}次"
        text += f"（平均每个班子集体自学{figures['team_avg_self_study']}次）；"
        text += f"开展专题党课{figures['study_lessons']}次、主题党日{figures['study_party_days']}次"
        if figures.get("study_public_events"):
            text += (
                f"，举办情景剧、展览等宣传教育活动{figures['study_public_events']}场，"
                f"受众{figures['study_audience']}人次"
            )
        parts.append(text + "。")
    if figures.get("research_topics"):
        parts.append(
            f"在调查研究上，确定调研课题{figures['research_topics']}个，开展调研走访"
            f"{figures['research_visits']}次，发现问题{figures['research_findings']}个，其中"
            f"{figures['research_findings_to_problems']}个转入问题清单推动整改；"
            f"{figures['research_topics_concluded']}个课题形成调研成果。"
        )
    if figures.get("opinions"):
        text = (
            f"在征求意见上，召开座谈会{figures.get('symposia', 0)}场，"
            if figures.get("symposia")
            else "在征求意见上，"
        )
        text += (
            f"收集意见建议{figures['opinions']}条，采纳{figures['opinions_accepted']}条、"
            f"形成整改问题{figures['opinion_problems']}个，答复{figures['opinions_answered']}条"
        )
        if figures.get("opinions_rated"):
            text += f"，群众评价满意率{figures['satisfaction_rate']}%"
        parts.append(text + "。")
    if figures.get("key_action_items"):
        parts.append(
            f"各级党组织应完成关键动作{figures['key_action_items']}项，已完成"
            f"{figures['key_action_items_done']}项，完成率{figures['key_action_rate']}%。"
        )
    return parts


def render_summary(*, target, org, campaign, figures, measures, charts, on: date) -> None:
    """综述 like seed 003; every number is computed, and what the subtree has not recorded (study,
    research, opinions, or a module's part: core.registry.REPORT_PARAGRAPHS) is left out rather
    than invented."""
    doc = DocxTemplate(_template("summary"))
    problems = sum(n for _, n in charts["status"])
    name = campaign.name if campaign else "主题教育"
    requirement = campaign.general_requirement if campaign else "守初心、担使命，找差距、抓落实"
    parts = [
        f"{name}开展以来，{org.name}坚持{requirement}的总要求，"
        f"{figures['organizations']}个党组织、{figures['members']}名党员参加。",
        *_study_and_research(org, figures),
        f"在检视问题上，共查摆问题{problems}个，其中立查立改{figures['immediate_problems']}个；"
        f"针对问题制定整改措施{measures['measures']}条。",
        f"在整改落实上，已销号{measures['closed']}条，销号率{measures['closure_rate']}%，"
        f"按期销号率{measures['on_time_rate']}%；建章立制{figures['regulations']}项，"
        f"推动解决了一批群众反映强烈的问题。",
        *report_paragraphs(org, figures),
    ]
    doc.render(
        {
            "title": f"{org.name}主题教育整改落实工作综述",
            "parts": parts,
            "unit": org.name,
            "date": _date(on),
        }
    )
    doc.save(target)
