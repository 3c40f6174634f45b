"""What the public endpoint never answers, refused before any worker runs it: an update sent as a query and a
federated query (SERVICE). /sparql and the query page both check here, so that the page refuses what the
endpoint would.
"""

from __future__ import annotations

from ..binding import remote_call_in
from ..endpoint.sandbox import READ_ONLY, READ_ONLY_HINT, update_keyword
from ..errors import UpdateSentAsQuery, UsageError


def check_query(text: str) -> None:
    """Refuse, before any worker runs it, what this endpoint never answers: an update sent as a query
    (UpdateSentAsQuery, 400) and a federated query (UsageError). Raises nothing for anything else."""
    if update_keyword(text):
        raise UpdateSentAsQuery(READ_ONLY, READ_ONLY_HINT)
    if remote_call_in(text):  # see binding.remote_call_in: no SERVICE for strangers, on any backend
        raise UsageError(
            "SERVICE (federated query) is not offered by this endpoint",
            "query the other endpoint yourself, or download a dump from /dumps/ and combine the data locally",
        )
