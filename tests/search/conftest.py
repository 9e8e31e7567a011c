# The ledger tests' campaign and accounts.
from tests.rectification.conftest import _media, campaign, people  # noqa: F401
