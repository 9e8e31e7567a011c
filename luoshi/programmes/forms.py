from django import forms

from luoshi.programmes.models import SetBy

TEXT = {"class": "form-control"}
SELECT = {"class": "form-select"}
DATE = {"class": "form-control", "type": "date"}


class ProgrammeForm(forms.Form):
    campaign = forms.TypedChoiceField(
        label="主题教育", coerce=int, widget=forms.Select(attrs=SELECT)
    )
    name = forms.CharField(
        label="专项整治名称",
        max_length=200,
        widget=forms.TextInput(attrs={**TEXT, "placeholder": "如：整治形式主义、官僚主义问题"}),
    )
    set_by = forms.ChoiceField(
        label="部署层级",
        choices=SetBy.choices,
        initial=SetBy.OWN,
        widget=forms.Select(attrs=SELECT),
    )
    goals = forms.CharField(
        label="整治目标", required=False, widget=forms.Textarea(attrs={**TEXT, "rows": 3})
    )
    starts_on = forms.DateField(label="开始日期", widget=forms.DateInput(attrs=DATE))
    ends_on = forms.DateField(label="结束日期", widget=forms.DateInput(attrs=DATE))
    lead_unit = forms.CharField(
        label="牵头单位", max_length=200, widget=forms.TextInput(attrs=TEXT)
    )
    co_units = forms.CharField(
        label="配合单位",
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs=TEXT),
        help_text="多个单位用顿号分隔",
    )


class PlanForm(forms.Form):
    title = forms.CharField(
        label="实施方案名称",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs=TEXT),
        help_text="不填则为“单位名称＋专项整治名称＋实施方案”",
    )
    doc_number = forms.CharField(
        label="文号",
        max_length=60,
        widget=forms.TextInput(attrs={**TEXT, "placeholder": "如：银党办发〔2019〕45号"}),
    )
    issued_on = forms.DateField(label="印发日期", widget=forms.DateInput(attrs=DATE))
    file = forms.FileField(
        label="实施方案文件",
        required=False,
        widget=forms.ClearableFileInput(attrs=TEXT),
        help_text="PDF、DOCX、OFD、JPG、PNG，不超过 20 MB",
    )


class ItemForm(forms.Form):
    org = forms.TypedChoiceField(label="所属组织", coerce=int, widget=forms.Select(attrs=SELECT))
    title = forms.CharField(
        label="整治事项（问题）", max_length=300, widget=forms.TextInput(attrs=TEXT)
    )
    description = forms.CharField(
        label="问题表现", required=False, widget=forms.Textarea(attrs={**TEXT, "rows": 2})
    )
    responsible_leaders = forms.CharField(
        label="责任领导", max_length=200, required=False, widget=forms.TextInput(attrs=TEXT)
    )
    responsible_units = forms.CharField(
        label="责任单位", max_length=300, required=False, widget=forms.TextInput(attrs=TEXT)
    )
