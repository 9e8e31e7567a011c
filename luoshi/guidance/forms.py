import re

from django import forms

from luoshi.guidance.models import InspectionKind
from luoshi.guidance.selectors import CIRCULAR_FIGURES
from luoshi.study.forms import StyledForm


def DateInput():  # noqa: N802
    """A date picker: its value always in ISO form (the locale's 2026/01/02 is no date to it)."""
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


SPLIT = re.compile(r"[\s,，、;；]+")


def words(text: str) -> list[str]:
    """Account names or organisation codes typed one per line or separated by commas."""
    return [w for w in SPLIT.split(text or "") if w]


class GroupForm(StyledForm):
    campaign = forms.TypedChoiceField(label="主题教育", coerce=int)
    name = forms.CharField(label="指导组名称", max_length=60)
    leader = forms.CharField(label="组长账号", max_length=150)
    members = forms.CharField(
        label="成员账号",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="每行一个或用逗号分隔；组长自动为成员",
    )
    subtrees = forms.CharField(
        label="指导范围（组织代码）",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="每行一个或用逗号分隔，如县（区）委的组织代码",
    )
    starts_on = forms.DateField(label="开始日期", widget=DateInput())
    ends_on = forms.DateField(label="结束日期", widget=DateInput())


class GroupChangeForm(StyledForm):
    members = forms.CharField(
        label="成员账号", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    subtrees = forms.CharField(
        label="指导范围（组织代码）", widget=forms.Textarea(attrs={"rows": 2})
    )
    starts_on = forms.DateField(label="开始日期", widget=DateInput(), required=False)
    ends_on = forms.DateField(label="结束日期", widget=DateInput())


class InspectionForm(StyledForm):
    org = forms.TypedChoiceField(label="督导对象", coerce=int)
    kind = forms.ChoiceField(label="督导方式", choices=InspectionKind.choices)
    visited_on = forms.DateField(label="督导日期", widget=DateInput())
    sample_size = forms.IntegerField(
        label="随机访谈人数", min_value=0, max_value=50, initial=0, required=False
    )
    unannounced = forms.BooleanField(label="不打招呼、直奔现场", required=False)


class NotesForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    talked_to = forms.CharField(
        label="访谈情况", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    found = forms.CharField(
        label="发现情况", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class FeedBackForm(StyledForm):
    title = forms.CharField(label="反馈的问题", max_length=300)
    description = forms.CharField(
        label="问题表现", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    reply_due_on = forms.DateField(label="回复时限", widget=DateInput())


class ReplyForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reply = forms.CharField(label="整改回复", widget=forms.Textarea(attrs={"rows": 4}))


class CheckForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(label="审核", choices=[("accept", "认可"), ("return", "退回")])
    reason = forms.CharField(label="退回理由", required=False, max_length=500)


class CircularForm(StyledForm):
    group = forms.TypedChoiceField(label="发文", coerce=int, required=False, empty_value=None)
    title = forms.CharField(label="标题", max_length=200)
    body = forms.CharField(label="正文", widget=forms.Textarea(attrs={"rows": 4}))
    good_practice = forms.CharField(
        label="好的做法", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    problems_text = forms.CharField(
        label="存在的问题", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    praised = forms.CharField(label="表扬的单位（组织代码）", required=False)
    criticised = forms.CharField(label="通报的单位（组织代码）", required=False)
    problems = forms.TypedMultipleChoiceField(
        label="通报的问题", coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    figure_keys = forms.MultipleChoiceField(
        label="引用数据",
        required=False,
        choices=list(CIRCULAR_FIGURES.items()),
        widget=forms.CheckboxSelectMultiple,
    )
