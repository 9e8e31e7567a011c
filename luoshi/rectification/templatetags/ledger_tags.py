"""The ledger's rows and a measure's badges, built in Python: the ledger shows some thirty
problems with their measures, and the template engine's cost per variable and per {% include %}
was most of the page's CPU.

Every value from a row goes through `_e` (the escaping Django's templates do, without the
lazy-string wrapper of django.utils.html.escape); the rest is constant markup."""

from html import escape

from django import template
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

register = template.Library()

LIGHT_BADGES = {
    "red": '<span class="badge bg-red text-red-fg" title="已逾期">红灯</span>',
    "yellow": '<span class="badge bg-yellow text-yellow-fg" title="临期或曾逾期">黄灯</span>',
    "green": '<span class="badge bg-green text-green-fg">绿灯</span>',
}

STATE_CLASSES = {
    "closed": "bg-green-lt",
    "submitted": "bg-blue-lt",
    "returned": "bg-orange-lt",
    "in_progress": "bg-azure-lt",
}


def _e(value) -> str:
    return escape(str(value))


def _light(measure) -> str:
    return LIGHT_BADGES.get(measure.light, "")


def _state(measure) -> str:
    css = STATE_CLASSES.get(measure.state, "bg-secondary-lt")
    return (
        f'<span class="badge {css}" data-testid="measure-state">'
        f"{_e(measure.get_state_display())}</span>"
    )


@register.simple_tag
def state_badge(measure) -> str:
    return mark_safe(_state(measure))


@register.simple_tag
def badges(measure) -> str:
    """The light and the state, as the ledger and the problem page show them."""
    return mark_safe(f"{_light(measure)} {_state(measure)}")


def _problem_cell(problem) -> str:
    source = f" · {_e(problem.source.name)}" if problem.source else ""
    immediate = ' · <span class="text-red">立查立改</span>' if problem.immediate else ""
    return (
        f'<td rowspan="{len(problem.measure_rows)}" class="problem-cell cell-title"'
        ' data-label="">\n'
        f'          <a href="{_e(problem.url)}" class="fw-medium">{_e(problem.title)}</a>\n'
        f'          <div class="text-secondary small">{_e(problem.org.display_name)}{source}'
        f" · {_e(problem.get_level_display())}{immediate}</div>\n"
        "        </td>"
    )


def _measure_row(problem, m, first: bool) -> str:
    owner = f'<div class="text-secondary">{_e(m.owner_name)}</div>' if m.owner_name else ""
    extended = (
        f'<div class="text-secondary">延期 {_e(m.extensions)} 次</div>' if m.extensions else ""
    )
    first_class = ' class="problem-first"' if first else ""
    return (
        f"      <tr{first_class}>\n"
        '        <td class="cell-check" data-label="">'
        '<input class="form-check-input" type="checkbox"'
        f' name="measure" value="{_e(m.pk)}" aria-label="选择措施 {_e(m.number)}"></td>\n'
        f"        {_problem_cell(problem) if first else ''}\n"
        f'        <td data-label="措施 {_e(m.number)}">{_e(Truncator(m.content).chars(80))}</td>\n'
        '        <td class="d-none d-lg-table-cell small cell-owner" data-label="责任单位">'
        f"{_e(m.org.display_name or '')}{owner}</td>\n"
        '        <td class="text-nowrap small cell-inline" data-label="时限">'
        f"{_e(m.deadline_label)}{extended}</td>\n"
        f'        <td class="text-nowrap cell-inline">{_light(m)} {_state(m)}</td>\n'
        "      </tr>\n"
    )


@register.simple_tag
def problem_rows(problem) -> str:
    """A problem's rows in the ledger: one per measure (`problem.measure_rows`, each with its
    `light`), the problem's cell spanning them; `problem.url` is set by the view."""
    if not problem.measure_rows:
        return mark_safe(
            f'      <tr class="problem-first"><td></td><td><a href="{_e(problem.url)}"'
            f' class="fw-medium">{_e(problem.title)}</a><div class="text-secondary small">'
            f"{_e(problem.org.display_name)}</div></td>"
            '<td colspan="4" class="text-secondary">待制定整改措施</td></tr>\n'
        )
    return mark_safe(
        "".join(_measure_row(problem, m, i == 0) for i, m in enumerate(problem.measure_rows))
    )


@register.filter
def problem_field_label(key: str) -> str:
    """The Chinese name of a problem's field, for the history's 修改问题（…） line (never the
    field's key)."""
    from django.core.exceptions import FieldDoesNotExist

    from luoshi.rectification.models import Problem

    try:
        return str(Problem._meta.get_field(key).verbose_name)
    except FieldDoesNotExist:
        return "其他内容"
