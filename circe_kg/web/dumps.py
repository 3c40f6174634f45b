"""/dumps/: the whole graph as files, each with its address, size (in bytes and in words), triple count,
checksum, date and licence (HTML, or JSON with `Accept: application/json`), and /dumps/SHA256SUMS, the checksums
in the format `sha256sum -c` reads: download it beside the files and run `sha256sum -c SHA256SUMS`. The same
formats without illustrative examples are listed beside them (circe-kg-sourced.*: the sourced-only dump)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, Response, send_file, url_for

from ..dumps import BY_NAME, LICENCE, DumpInfo, human_size, sha256sums
from ..errors import NotFound
from .pages import page, twin, wants_twin
from .services import dumps
from .sourced import sourced_only

bp = Blueprint("dumps", __name__)
CHECKSUMS = "SHA256SUMS"


def listed(info: DumpInfo) -> dict[str, Any]:
    """What the listing says of one file: the manifest's entry, its absolute URL, its size in words and its
    licence — what a script or a person needs to fetch it and to know they may use it."""
    return {
        **asdict(info),
        "url": url_for("dumps.download", name=info.name, _external=True),
        "size": human_size(info.bytes),
        "licence": LICENCE,
    }


@bp.get("/dumps/")
def index() -> Response:
    """The files; with the sourced-only switch on, only those without illustrative examples (circe-kg-sourced.*),
    and the page says how many it leaves out. SHA256SUMS always lists every file. The twin (?format=json, or
    Accept preferring application/json) is the list of the files' entries, each with `sourced_only`."""
    every = [listed(info) for info in dumps().manifest()]
    only = sourced_only()
    entries = [entry for entry in every if entry["sourced_only"]] if only else every
    if wants_twin():
        return twin(entries)
    return page(
        "dumps/dumps.html",
        dumps=entries,
        only=only,
        hidden=len(every) - len(entries),
        updating=dumps().updating,
        failure=dumps().failure,
        licence=LICENCE,
        checksums_url=url_for("dumps.checksums", _external=True),
    )


@bp.get(f"/dumps/{CHECKSUMS}")
def checksums() -> Response:
    """The SHA-256 of every listed file, one `<hex>  <name>` line each (text/plain), for `sha256sum -c`."""
    response = Response(sha256sums(dumps().manifest()), mimetype="text/plain")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/dumps/<name>")
def download(name: str) -> Response:
    path = dumps().path(name)
    if path is None or not path.exists():
        raise NotFound(f"no dump called {name!r}", "the dumps are listed at /dumps/")
    fmt = BY_NAME[name]
    response = send_file(
        path,
        mimetype="application/gzip" if fmt.gzip else fmt.mime,
        as_attachment=False,
        download_name=name,
        conditional=True,
        max_age=300,
    )
    return response
