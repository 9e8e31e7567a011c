"""The registers' rules as data: each register's fields when a case is opened, its steps (in
order, each with its fields and what must hold first), and what may follow a conclusion."""

from dataclasses import dataclass

from luoshi.registers.models import (
    CadreRotation,
    Conclusion,
    FollowUp,
    InquiryCase,
    ToleranceCase,
    ToleranceDecision,
)


@dataclass(frozen=True)
class Step:
    name: str
    label: str
    fields: tuple[str, ...]
    after: str  # the field that must be filled before this step ("" for none)
    done: str  # the field this step fills (once filled, the step is done)


@dataclass(frozen=True)
class Register:
    kind: str
    label: str
    model: type
    open_fields: tuple[str, ...]
    steps: tuple[Step, ...] = ()
    columns: tuple[str, ...] = ()  # shown in the list


REGISTERS = {
    r.kind: r
    for r in [
        Register(
            "inquiries",
            "谈话函询",
            InquiryCase,
            ("subject", "subject_post", "clue_source", "clue_received_on", "clue_summary"),
            (
                Step(
                    "decide",
                    "谈话或函询",
                    ("decision", "decided_on", "talk_or_letter"),
                    "",
                    "decision",
                ),
                Step("reply", "本人说明", ("reply", "replied_on"), "decision", "reply"),
                Step(
                    "conclude",
                    "核实结论",
                    ("conclusion", "follow_up", "follow_up_note"),
                    "reply",
                    "conclusion",
                ),
            ),
            ("subject", "clue_source", "clue_received_on", "decision", "conclusion", "follow_up"),
        ),
        Register(
            "tolerance",
            "容错纠错",
            ToleranceCase,
            ("subject", "subject_post", "happened_on", "case_summary"),
            (
                Step(
                    "judge",
                    "容错认定",
                    (
                        "inexperience",
                        "exploration",
                        "no_self_interest",
                        "judgement",
                        "decision",
                        "decided_on",
                        "correction_required",
                    ),
                    "",
                    "decision",
                ),
                Step(
                    "correct",
                    "纠错完成",
                    ("correction_done_on", "correction_note"),
                    "decision",
                    "correction_done_on",
                ),
            ),
            ("subject", "happened_on", "decision", "correction_done_on"),
        ),
        Register(
            "rotations",
            "干部交流",
            CadreRotation,
            ("cadre_name", "kind", "from_org", "from_post", "to_post", "starts_on", "ends_on"),
            (),
            ("cadre_name", "kind", "from_post", "to_post", "starts_on", "ends_on"),
        ),
    ]
}

# What may follow each conclusion: an unfounded report clears the cadre's name (澄清正名).
FOLLOW_UPS = {
    Conclusion.FALSE: {FollowUp.CLARIFY},
    Conclusion.PARTLY: {FollowUp.REMIND, FollowUp.HANDLE},
    Conclusion.TRUE: {FollowUp.HANDLE},
}


def tolerance_refusal(data: dict) -> str | None:
    """Why a tolerance decision does not follow from the 三个区分开来: 免责 needs all three on
    the tolerable side, 减责 at least one."""
    favourable = sum(bool(data[f]) for f in ("inexperience", "exploration", "no_self_interest"))
    if data["decision"] == ToleranceDecision.EXEMPT and favourable < 3:
        return "免责须三个区分开来均认定为可容错情形"
    if data["decision"] == ToleranceDecision.REDUCED and favourable < 1:
        return "减责须至少一项区分认定为可容错情形"
    return None
