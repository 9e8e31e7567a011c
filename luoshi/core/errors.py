"""The refusals every app raises when a write is not done, in the words of the UI.

Pages flash the message, the API answers 403 (NotAllowed), 409 (Conflict) or 400 (Invalid),
imports list it. Python's own PermissionError is an OSError (a file the server may not read)
and is never used for a refusal of the campaign's rules."""


class DomainError(Exception):
    """A refused write; the message says why, in the words of the UI."""


class NotAllowed(DomainError):
    """The actor's role may not do this here."""


class Conflict(DomainError):
    """Someone changed the record since the actor read it."""

    def __init__(self, message="该记录已被他人修改，请刷新后重试（您填写的内容已保留）"):
        super().__init__(message)


class Invalid(DomainError):
    """The request breaks a rule of the campaign or a field is wrong."""


class BadParameter(Exception):
    """A number, id or date in the request is malformed or out of range (core.params): answered
    400 with the message, a plain page for the pages (core.middleware) and JSON for the API.
    Not a DomainError: nothing of the campaign was refused, the request itself is wrong."""


def status_for(error: DomainError) -> int:
    """The HTTP status a page answers a refusal with (the API's handlers answer the same)."""
    return 409 if isinstance(error, Conflict) else 403 if isinstance(error, NotAllowed) else 400
