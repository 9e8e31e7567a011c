from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from luoshi.ledger_io.deadlines import Deadline, DeadlineError, read_deadline, write_deadline
from luoshi.ledger_io.splitting import split_measures


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019年12月底前", Deadline("date", date(2019, 12, 31))),
        ("2019年11月底", Deadline("date", date(2019, 11, 30))),
        ("2020年1月", Deadline("date", date(2020, 1, 31))),
        ("2020年2月底前", Deadline("date", date(2020, 2, 29))),
        ("2019.12", Deadline("date", date(2019, 12, 31))),
        ("2019-12-31", Deadline("date", date(2019, 12, 31))),
        ("2019/6/30", Deadline("date", date(2019, 6, 30))),
        ("2019年12月31日前", Deadline("date", date(2019, 12, 31))),
        ("２０１９年１２月底前", Deadline("date", date(2019, 12, 31))),
        ("2019年底前", Deadline("date", date(2019, 12, 31))),
        (datetime(2024, 1, 31, 0, 0), Deadline("date", date(2024, 1, 31))),
        (date(2024, 1, 31), Deadline("date", date(2024, 1, 31))),
        ("长期坚持", Deadline("ongoing")),
        ("长期坚持，定期督查", Deadline("ongoing")),
        ("立行立改", Deadline("immediate")),
        ("2019年12月底前完成，并长期坚持", Deadline("date", date(2019, 12, 31), long_term=True)),
        ("2024年3月底前完成；长期坚持", Deadline("date", date(2024, 3, 31), long_term=True)),
        ("立行立改并长期坚持", Deadline("immediate", long_term=True)),
        ("立行立改，长期坚持", Deadline("immediate", long_term=True)),
    ],
)
def test_deadlines_as_offices_write_them(text, expected):
    assert read_deadline(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "下个月",
        "",
        None,
        "2019年13月",
        "尽快",
        "2019年2月30日",
        "1850年1月",
        True,
        "12月底前",
        "2019年13月底前完成，并长期坚持",
    ],
)
def test_unreadable_deadlines_are_errors_not_guesses(text):
    with pytest.raises(DeadlineError):
        read_deadline(text)


@given(
    st.one_of(
        st.text(max_size=40),
        st.integers(),
        st.floats(allow_nan=True),
        st.none(),
        st.dates(),
        st.datetimes(),
        st.booleans(),
    )
)
def test_reading_a_deadline_never_raises_anything_else(value):
    try:
        result = read_deadline(value)
    except DeadlineError:
        return
    assert result.kind in ("date", "ongoing", "immediate")


@given(
    st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)),
    st.sampled_from(["date", "ongoing", "immediate"]),
    st.booleans(),
)
def test_written_deadlines_read_back_the_same(day, kind, long_term):
    long_term = long_term and kind != "ongoing"
    written = write_deadline(kind, day if kind == "date" else None, long_term)
    assert read_deadline(written) == Deadline(kind, day if kind == "date" else None, long_term)


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("1.制定清单；2.挂图作战；3.每月调度", ["制定清单", "挂图作战", "每月调度"]),
        ("1、每周自学 2、撰写心得", ["每周自学", "撰写心得"]),
        ("（1）蹲点调研；（2）形成报告", ["蹲点调研", "形成报告"]),
        ("①建章立制②抓好落实", ["建章立制", "抓好落实"]),
        ("一是压实责任；二是强化督导", ["压实责任", "强化督导"]),
        ("完善2.0版工作制度", ["完善2.0版工作制度"]),
        ("推行“一窗受理”", ["推行“一窗受理”"]),
    ],
)
def test_numbered_measures_in_one_cell_are_split(text, parts):
    assert split_measures(text) == parts
