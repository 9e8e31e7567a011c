"""What every API module shares: the error body, the error statuses, and bounded input types (an
id is a positive 64-bit integer, a text no longer than its model field, a list capped), so that
a malformed or oversized request is answered 400/422 before any work is done."""

from typing import Annotated

from ninja import Schema
from pydantic import Field

from luoshi.core.params import MAX_ID

LONG_TEXT = 20_000  # a text field without a length of its own (descriptions, minutes, notes)


class ErrorOut(Schema):
    detail: str


ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Count = Annotated[int, Field(ge=0, le=2**31 - 1)]


def text_of(model, name: str):
    """A str no longer than the model field `name` (LONG_TEXT for a field without a length)."""
    length = model._meta.get_field(name).max_length or LONG_TEXT
    return Annotated[str, Field(max_length=length)]


def items(kind, most: int):
    """A list of at most `most` of `kind`."""
    return Annotated[list[kind], Field(max_length=most)]
