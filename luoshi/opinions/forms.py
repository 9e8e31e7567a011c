from django import forms

from luoshi.opinions.models import Channel, Rating, Topic
from luoshi.opinions.services import MAX_ANSWER, MAX_TEXT
from luoshi.rectification.forms import SELECT, TEXT, MultipleFileField, MultipleFileInput

PHOTO_INPUT = MultipleFileInput(attrs={**TEXT, "accept": "image/jpeg,image/png"})


class PublicOpinionForm(forms.Form):
    """The online form: short, plain words, anonymous unless the sender says otherwise.
    `homepage` is a honeypot: hidden from people, filled in by bots."""

    topic = forms.ChoiceField(
        label="您的意见是关于",
        choices=Topic.choices,
        widget=forms.RadioSelect(attrs={"class": "form-selectgroup-input"}),
        initial="other",
    )
    text = forms.CharField(
        label="您的意见建议",
        max_length=MAX_TEXT,
        widget=forms.Textarea(
            attrs={
                **TEXT,
                "rows": 6,
                "maxlength": MAX_TEXT,
                "placeholder": "请写下您看到的问题或建议",
            }
        ),
    )
    photos = MultipleFileField(
        label="照片（可不传，最多 3 张）", required=False, widget=PHOTO_INPUT
    )
    anonymous = forms.BooleanField(
        label="匿名提交（不留姓名）",
        required=False,
        initial=True,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    name = forms.CharField(
        label="姓名（可不填）", max_length=40, required=False, widget=forms.TextInput(attrs=TEXT)
    )
    contact = forms.CharField(
        label="联系电话（可不填，只用于回访，不会公开）",
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={**TEXT, "inputmode": "tel", "autocomplete": "tel"}),
    )
    homepage = forms.CharField(
        label="请勿填写此项",
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )


class RecordOpinionForm(PublicOpinionForm):
    """An opinion from a paper form, a talk or a symposium, typed in by the office."""

    org = forms.TypedChoiceField(label="所属组织", coerce=int, widget=forms.Select(attrs=SELECT))
    channel = forms.ChoiceField(
        label="征求渠道",
        choices=[c for c in Channel.choices if c[0] != Channel.ONLINE],
        widget=forms.Select(attrs=SELECT),
    )
    topic = forms.ChoiceField(
        label="意见类别", choices=Topic.choices, widget=forms.Select(attrs=SELECT)
    )
    text = forms.CharField(
        label="意见建议",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={**TEXT, "rows": 4, "maxlength": MAX_TEXT}),
    )
    name = forms.CharField(
        label="提出人（可不填）", max_length=40, required=False, widget=forms.TextInput(attrs=TEXT)
    )
    contact = forms.CharField(
        label="联系方式（可不填）",
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs=TEXT),
    )
    photos = MultipleFileField(label="照片", required=False, widget=PHOTO_INPUT)
    homepage = None


class TrackForm(forms.Form):
    code = forms.CharField(
        label="查询码",
        max_length=40,
        widget=forms.TextInput(
            attrs={
                **TEXT,
                "autocomplete": "off",
                "autocapitalize": "characters",
                "placeholder": "如 ABCD-EFGH-JKMN-PQRS",
            }
        ),
    )


class RateForm(TrackForm):
    code = forms.CharField(max_length=40, widget=forms.HiddenInput)
    rating = forms.ChoiceField(
        label="您对办理结果",
        choices=Rating.choices,
        widget=forms.RadioSelect(attrs={"class": "form-selectgroup-input"}),
    )


class AcceptForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    problem = forms.IntegerField(
        label="并入已有问题",
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        widget=forms.NumberInput(attrs=TEXT),
        help_text="多条意见反映同一问题时，选择已有问题即可合并",
    )
    title = forms.CharField(
        label="新建问题", max_length=300, required=False, widget=forms.TextInput(attrs=TEXT)
    )
    category = forms.TypedChoiceField(
        label="问题类别",
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.Select(attrs=SELECT),
    )
    measure = forms.CharField(
        label="整改措施（可稍后在问题页补充）",
        required=False,
        widget=forms.Textarea(attrs={**TEXT, "rows": 2}),
    )
    due_on = forms.DateField(
        label="完成时限（不填为立行立改）",
        required=False,
        widget=forms.DateInput(attrs={**TEXT, "type": "date"}),
    )
    answer = forms.CharField(
        label="答复群众（可不填）",
        max_length=MAX_ANSWER,
        required=False,
        widget=forms.Textarea(attrs={**TEXT, "rows": 2}),
    )


class AnswerForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    answer = forms.CharField(
        label="答复内容", max_length=MAX_ANSWER, widget=forms.Textarea(attrs={**TEXT, "rows": 3})
    )


class DeclineForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label="不予采纳的理由（群众可见）",
        max_length=MAX_ANSWER,
        widget=forms.Textarea(attrs={**TEXT, "rows": 3}),
    )


class TransferForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    org = forms.TypedChoiceField(
        label="转交给",
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.Select(attrs=SELECT),
    )
    org_code = forms.CharField(
        label="或填写组织代码", max_length=32, required=False, widget=forms.TextInput(attrs=TEXT)
    )
    note = forms.CharField(
        label="转交说明", required=False, widget=forms.Textarea(attrs={**TEXT, "rows": 2})
    )


class SymposiumForm(forms.Form):
    org = forms.TypedChoiceField(label="召开单位", coerce=int, widget=forms.Select(attrs=SELECT))
    title = forms.CharField(label="座谈会名称", max_length=120, widget=forms.TextInput(attrs=TEXT))
    held_on = forms.DateField(
        label="召开日期", widget=forms.DateInput(attrs={**TEXT, "type": "date"})
    )
    attendees = forms.CharField(
        label="参加人员",
        max_length=300,
        widget=forms.TextInput(attrs=TEXT),
        help_text="如：村民代表、企业负责人、“两代表一委员”",
    )
    attendee_count = forms.IntegerField(
        label="参加人数",
        min_value=0,
        max_value=100_000,
        initial=0,
        widget=forms.NumberInput(attrs=TEXT),
    )
    notes = forms.CharField(
        label="会议纪要", required=False, widget=forms.Textarea(attrs={**TEXT, "rows": 4})
    )
