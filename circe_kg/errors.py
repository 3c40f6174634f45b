"""Typed errors: each carries what went wrong, where, a hint to fix it, an HTTP status and a CLI exit code.

Exit codes (documented in `circe-kg --help`): 0 ok, 1 invalid data (syntax or shapes), 2 usage error
(unknown query, bad parameter, bad option), 3 the store could not be used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # validation.py imports this module
    from .validation import Report

EXIT_OK = 0
EXIT_INVALID_DATA = 1
EXIT_USAGE = 2
EXIT_STORE = 3


class CirceError(Exception):
    """Base of every error meant for a person: message, optional hint, HTTP status, exit code."""

    status = 500
    exit_code = EXIT_STORE
    kind = "error"

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.kind, "status": self.status, "message": self.message}
        if self.hint:
            out["hint"] = self.hint
        return out

    def to_text(self) -> str:
        """The message, and the hint on a line of its own: what the command line prints.

        >>> print(UnknownQuery("no query named 'tranfsers'", "did you mean transfers?").to_text())
        no query named 'tranfsers'
        hint: did you mean transfers?
        """
        return self.message + (f"\nhint: {self.hint}" if self.hint else "")


class UsageError(CirceError):
    status = 400
    exit_code = EXIT_USAGE
    kind = "usage-error"


class UnknownQuery(UsageError):
    status = 404
    kind = "unknown-query"


class BadParameter(UsageError):
    kind = "bad-parameter"


class StoreUnavailable(CirceError):
    status = 503
    exit_code = EXIT_STORE
    kind = "store-unavailable"


class NotFound(CirceError):
    status = 404
    kind = "not-found"


class NotAcceptable(UsageError):
    """No media type the client accepts can express the answer; the hint lists what is offered."""

    status = 406
    kind = "not-acceptable"


class UnsupportedMediaType(UsageError):
    status = 415
    kind = "unsupported-media-type"


class UriTooLong(UsageError):
    status = 414
    kind = "uri-too-long"


class Unauthorised(CirceError):
    status = 401
    kind = "unauthorised"


class WritesDisabled(CirceError):
    status = 403
    kind = "writes-disabled"


class WriteRefused(CirceError):
    """A write this server never accepts (the public endpoint, a system graph, a missing role)."""

    status = 403
    kind = "write-refused"


class Conflict(CirceError):
    """The data a change was made from has changed since: writing it would undo someone else's work."""

    status = 409
    exit_code = EXIT_INVALID_DATA
    kind = "conflict"


class PreconditionFailed(Conflict):
    """An HTTP write's If-Match names a version of the graph that is no longer the current one."""

    status = 412
    kind = "precondition-failed"


class StaleForm(CirceError):
    """A form sent on the strength of a sign-in cookie without this session's CSRF token."""

    status = 403
    kind = "stale-form"


class NoSuchVersion(UsageError):
    status = 404
    kind = "no-such-version"


class NotImplementedHere(CirceError):
    """A feature this deployment does not offer (e.g. a SPARQL endpoint of a federation's own)."""

    status = 501


class QueryTimeout(CirceError):
    status = 503
    kind = "query-timeout"

    def __init__(self, message: str, hint: str | None = None, retry_after: int | None = None) -> None:
        super().__init__(message, hint)
        self.retry_after = retry_after  # seconds, sent as Retry-After (web/errors.py) when trying again can help


class EndpointBusy(CirceError):
    status = 503
    kind = "endpoint-busy"

    def __init__(self, message: str, hint: str | None = None, retry_after: int | None = None) -> None:
        super().__init__(message, hint)
        self.retry_after = retry_after


class ResultTooLarge(CirceError):
    status = 413
    kind = "result-too-large"


class StreamCut(CirceError):
    """A streamed answer stopped part-way (time limit, size cap, the worker gone). Its status line has been sent,
    so it is raised inside the body: the server then drops the connection without the chunked encoding's last
    chunk, and the client sees an incomplete response — never a short one that looks whole."""

    status = 500
    kind = "stream-cut"


class RdfSyntaxError(CirceError):
    """A file that does not parse: where (file, line, column), the offending text, what the parser expected."""

    status = 400
    exit_code = EXIT_INVALID_DATA
    kind = "syntax-error"

    def __init__(
        self,
        file: str,
        line: int | None,
        column: int | None,
        detail: str,
        line_text: str | None = None,
        hint: str | None = None,
    ) -> None:
        where = file + (f":{line}" if line else "") + (f":{column}" if line and column else "")
        super().__init__(f"{where}: syntax error: {detail}", hint)
        self.file, self.line, self.column, self.detail, self.line_text = file, line, column, detail, line_text

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out.update(file=self.file, line=self.line, column=self.column, detail=self.detail, text=self.line_text)
        return out

    def to_text(self) -> str:
        lines = [self.message]
        if self.line_text is not None:
            lines.append("    " + self.line_text)
            if self.column:
                lines.append("    " + " " * (self.column - 1) + "^")
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)


class ValidationFailed(CirceError):
    """The data parses but violates the shapes; carries the whole report."""

    status = 422
    exit_code = EXIT_INVALID_DATA
    kind = "validation-failed"

    def __init__(self, report: Report) -> None:
        super().__init__(report.summary(), "fix the violations listed; nothing was loaded")
        self.report = report

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["report"] = self.report.to_dict()
        return out

    def to_text(self) -> str:
        return self.report.to_text() + "\nNothing was loaded: the store is unchanged."


class UndeclaredPrefix(UsageError):
    """A query uses `prefix:name` without declaring the prefix; the hint shows the PREFIX line to add and the
    prefixes the site knows, so that the reader fixes it at once instead of decoding the parser's grammar."""

    kind = "undeclared-prefix"


class UpdateSentAsQuery(UsageError):
    """A SPARQL Update sent as a query (query=INSERT …) to the read-only endpoint: a malformed query request (400),
    whose message says where updates go."""

    kind = "read-only-endpoint"


class ConfigurationError(CirceError):
    """The operator's settings cannot work (e.g. a write token too short, used twice, or a tokens file that is
    missing or has a malformed line): raised when the app is made, so that the server does not start with a
    setting silently ignored. The message says what is wrong and where (variable, or file:line) — never a
    token — and how to fix it."""

    status = 500
    exit_code = EXIT_USAGE
    kind = "configuration-error"
