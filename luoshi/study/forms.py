from django import forms

from luoshi.study.models import StudyKind


class StyledForm(forms.Form):
    """Tabler's classes on every widget."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")


class ActivityForm(StyledForm):
    kind = forms.ChoiceField(label="学习形式", choices=StudyKind.choices)
    topic = forms.CharField(label="学习主题", max_length=200)
    starts_on = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(
        label="结束日期（读书班）",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    campaign = forms.TypedChoiceField(
        label="主题教育", coerce=int, required=False, empty_value=None
    )
    by_team = forms.BooleanField(label="领导班子集体学习", required=False)
    speaker = forms.CharField(label="主讲人", max_length=60, required=False)
    place = forms.CharField(label="地点", max_length=120, required=False)
    audience = forms.IntegerField(
        label="受众人次", min_value=0, max_value=10_000_000, required=False
    )
    materials = forms.CharField(
        label="学习材料", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    minutes = forms.CharField(
        label="学习记录", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class MakeUpForm(StyledForm):
    made_up_on = forms.DateField(label="补学日期", widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label="补学方式", max_length=200)
