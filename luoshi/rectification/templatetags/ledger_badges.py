"""The ledger's rows and a measure's badges, built in Python with format_html (so escaped like
the template's variables): the ledger shows some thirty problems with their measures, and the
template engine's cost per variable and per {% include %} was most of the page's CPU."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

register = template.Library()

LIGHT_BADGES = {
    "red": mark_safe('<span class="badge bg-red text-red-fg" title="已逾期">红灯</span>'),
    "yellow": mark_safe(
        '<span class="badge bg-yellow text-yellow-fg" title="临期或曾逾期">黄灯</span>'
    ),
    "green": mark_safe('<span class="badge bg-green text-green-fg">绿灯</span>'),
}

STATE_CLASSES = {
    "closed": "bg-green-lt",
    "submitted": "bg-blue-lt",
    "returned": "bg-orange-lt",
    "in_progress": "bg-azure-lt",
}

IMMEDIATE = mark_safe(' · <span class="text-red">立查立改</span>')


@register.simple_tag
def light_badge(measure) -> str:
    """The measure's light (`measure.light`, set by the view); nothing when closed."""
    return LIGHT_BADGES.get(measure.light, "")


@register.simple_tag
def state_badge(measure) -> str:
    return format_html(
        '<span class="badge {}" data-testid="measure-state">{}</span>',
        STATE_CLASSES.get(measure.state, "bg-secondary-lt"),
        measure.get_state_display(),
    )


@register.simple_tag
def badges(measure) -> str:
    """The light and the state, as the ledger and the problem page show them."""
    return format_html("{} {}", light_badge(measure), state_badge(measure))


def _problem_cell(problem, rows: int) -> str:
    return format_html(
        '<td rowspan="{}" class="problem-cell">\n'
        '          <a href="{}" class="fw-medium">{}</a>\n'
        '          <div class="text-secondary small">{}{} · {}{}</div>\n'
        "        </td>",
        rows,
        problem.url,
        problem.title,
        problem.org.display_name,
        format_html(" · {}", problem.source.name) if problem.source else "",
        problem.get_level_display(),
        IMMEDIATE if problem.immediate else "",
    )


def _measure_row(problem, measure, first: bool) -> str:
    return format_html(
        "      <tr{}>\n"
        '        <td><input class="form-check-input" type="checkbox" name="measure" value="{}"'
        ' aria-label="选择措施 {}"></td>\n'
        "        {}\n"
        "        <td>{}. {}</td>\n"
        '        <td class="d-none d-lg-table-cell small">{}{}</td>\n'
        '        <td class="text-nowrap small">{}{}</td>\n'
        '        <td class="text-nowrap">{}</td>\n'
        "      </tr>\n",
        mark_safe(' class="problem-first"') if first else "",
        measure.pk,
        measure.pk,
        _problem_cell(problem, len(problem.measure_rows)) if first else "",
        measure.number,
        Truncator(measure.content).chars(80),
        measure.org.display_name or "",
        format_html('<div class="text-secondary">{}</div>', measure.owner_name)
        if measure.owner_name
        else "",
        measure.deadline_label,
        format_html('<div class="text-secondary">延期 {} 次</div>', measure.extensions)
        if measure.extensions
        else "",
        badges(measure),
    )


@register.simple_tag
def problem_rows(problem) -> str:
    """A problem's rows in the ledger: one per measure (`problem.measure_rows`, each with its
    `light`), the problem's cell spanning them; `problem.url` is set by the view."""
    if not problem.measure_rows:
        return format_html(
            '      <tr class="problem-first"><td></td><td><a href="{}" class="fw-medium">{}</a>'
            '<div class="text-secondary small">{}</div></td>'
            '<td colspan="4" class="text-secondary">待制定整改措施</td></tr>\n',
            problem.url,
            problem.title,
            problem.org.display_name,
        )
    return format_html_join(
        "",
        "{}",
        ((_measure_row(problem, m, i == 0),) for i, m in enumerate(problem.measure_rows)),
    )
