from django import forms

from luoshi.core.errors import Invalid
from luoshi.rectification.models import DeadlineKind, ProblemLevel, ProblemStatus
from luoshi.rectification.numbers import clean_problem_number

TEXT = {"class": "form-control"}
SELECT = {"class": "form-select"}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if not data:
            return []
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


class ProblemForm(forms.Form):
    org = forms.TypedChoiceField(label="所属组织", coerce=int, widget=forms.Select(attrs=SELECT))
    campaign = forms.TypedChoiceField(
        label="主题教育", coerce=int, widget=forms.Select(attrs=SELECT)
    )
    number = forms.CharField(
        label="序号", max_length=40, required=False, widget=forms.TextInput(attrs=TEXT)
    )
    title = forms.CharField(label="存在问题", max_length=300, widget=forms.TextInput(attrs=TEXT))
    description = forms.CharField(
        label="问题表现", required=False, widget=forms.Textarea(attrs={**TEXT, "rows": 3})
    )
    source = forms.TypedChoiceField(
        label="问题来源",
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.Select(attrs=SELECT),
    )
    category = forms.TypedChoiceField(
        label="问题类别",
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.Select(attrs=SELECT),
    )
    level = forms.ChoiceField(
        label="问题层面", choices=ProblemLevel.choices, widget=forms.Select(attrs=SELECT)
    )
    person_name = forms.CharField(
        label="个人问题当事人", max_length=40, required=False, widget=forms.TextInput(attrs=TEXT)
    )
    responsible_leaders = forms.CharField(
        label="责任领导",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs=TEXT),
        help_text="多位领导用顿号分隔，如：张三、李四",
    )
    responsible_units = forms.CharField(
        label="责任单位", max_length=300, required=False, widget=forms.TextInput(attrs=TEXT)
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean_number(self):
        try:
            return clean_problem_number(self.cleaned_data.get("number"))
        except Invalid as error:
            raise forms.ValidationError(str(error)) from None


class MeasureForm(forms.Form):
    content = forms.CharField(label="整改措施", widget=forms.Textarea(attrs={**TEXT, "rows": 2}))
    deadline_kind = forms.ChoiceField(
        label="时限类型", choices=DeadlineKind.choices, widget=forms.Select(attrs=SELECT)
    )
    due_on = forms.DateField(
        label="完成时限", required=False, widget=forms.DateInput(attrs={**TEXT, "type": "date"})
    )
    owner_name = forms.CharField(
        label="责任人", max_length=60, required=False, widget=forms.TextInput(attrs=TEXT)
    )
    responsible_leader = forms.CharField(
        label="责任领导", max_length=120, required=False, widget=forms.TextInput(attrs=TEXT)
    )
    long_term = forms.BooleanField(
        label="并长期坚持",
        required=False,
        help_text="按时限完成后仍须长期坚持，如“2019年12月底前完成，并长期坚持”",
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


class ProgressForm(forms.Form):
    text = forms.CharField(label="进展情况", widget=forms.Textarea(attrs={**TEXT, "rows": 3}))
    progress = forms.IntegerField(
        label="完成进度（%）", min_value=0, max_value=100, widget=forms.NumberInput(attrs=TEXT)
    )
    files = MultipleFileField(
        label="佐证材料",
        required=False,
        widget=MultipleFileInput(attrs={"class": "form-control"}),
        help_text="PDF、JPG、PNG、DOCX、XLSX、OFD，单个文件不超过 20 MB",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)
    on_behalf = forms.BooleanField(label="代为填报", required=False)
    submit = forms.BooleanField(label="同时申请销号", required=False)


class TransitionForm(forms.Form):
    action = forms.CharField()
    version = forms.IntegerField()
    reason = forms.CharField(required=False, max_length=2000)
    on_behalf = forms.BooleanField(required=False)


class ExtensionForm(forms.Form):
    new_due_on = forms.DateField(
        label="申请延至", widget=forms.DateInput(attrs={**TEXT, "type": "date"})
    )
    reason = forms.CharField(
        label="延期理由", max_length=2000, widget=forms.Textarea(attrs={**TEXT, "rows": 2})
    )


class RegulationForm(forms.Form):
    title = forms.CharField(label="制度名称", max_length=200, widget=forms.TextInput(attrs=TEXT))
    doc_number = forms.CharField(
        label="文号", max_length=60, required=False, widget=forms.TextInput(attrs=TEXT)
    )
    issued_on = forms.DateField(
        label="印发日期", required=False, widget=forms.DateInput(attrs={**TEXT, "type": "date"})
    )


class ImmediateFixForm(forms.Form):
    org = forms.TypedChoiceField(label="所属组织", coerce=int, widget=forms.Select(attrs=SELECT))
    campaign = forms.TypedChoiceField(
        label="主题教育", coerce=int, widget=forms.Select(attrs=SELECT)
    )
    title = forms.CharField(
        label="群众反映强烈的问题", max_length=300, widget=forms.TextInput(attrs=TEXT)
    )
    measure = forms.CharField(
        label="整改措施及成效", widget=forms.Textarea(attrs={**TEXT, "rows": 3})
    )
    files = MultipleFileField(
        label="佐证材料", widget=MultipleFileInput(attrs={"class": "form-control"})
    )
    on_behalf = forms.BooleanField(
        label="代为填报",
        required=False,
        help_text="上级组织替所选单位登记时勾选，记入整改历程",
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


STATUS_CHOICES = [("", "全部状态"), *ProblemStatus.choices]
LEVEL_CHOICES = [("", "全部层面"), *ProblemLevel.choices]
