"""The `circe-kg` command: a thin shell over loader, validation, queries and the web app.

Exit codes: 0 ok · 1 invalid data (syntax error or shape violation; nothing was loaded) · 2 usage error
(unknown query or option, bad parameter) · 3 the store could not be used.
"""

from __future__ import annotations

import csv
import getpass
import json
import sys
import threading
import time
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypedDict, TypeVar

import click
import pyoxigraph as ox
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import harvest as harvesting
from . import queries, settings
from .binding import AnyTerm
from .config import DATA_DIR, history_path, shipped_files
from .errors import EXIT_INVALID_DATA, CirceError, UsageError, ValidationFailed
from .export_graphs import apply_export, plan_export
from .loader import load_files, validate_files
from .namespaces import compact, expand
from .search import SearchIndex
from .serialization import DATASET_TYPES, RDF_TYPES, RESULTS_TYPES, serialize
from .sheets.export import records as sheet_records
from .sheets.importing import apply, plan_import, plan_mapped
from .sheets.layout import KINDS, layout_for
from .sheets.mapping import load_mapping
from .sheets.workbook import csv_rows, write_workbook
from .store import Store
from .store.open import open_store
from .writing.gate import WriteGate

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
P = ParamSpec("P")
R = TypeVar("R")

DUMP_FORMATS = {t.name: t.format for t in [*RDF_TYPES, *DATASET_TYPES]}
RESULT_FORMATS = {t.name: t.format for t in RESULTS_TYPES}


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Print a CirceError as a message (never a traceback) and exit with its code."""

    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except CirceError as error:
            click.echo("error: " + error.to_text(), err=True)
            sys.exit(error.exit_code)

    return wrapper


def _progress() -> tuple[Progress, Callable[[str, int, int], None]]:
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    task = progress.add_task("loading", total=None)

    def update(what: str, done: int, total: int) -> None:
        progress.update(task, description=what, completed=done, total=total)

    return progress, update


def _remember(context: click.Context, parameter: click.Parameter, value: Any) -> Any:
    context.meta[f"circe_kg.{parameter.name}"] = value
    return value


def store_option(command: Callable[P, R]) -> Callable[P, R]:
    """--store, or --endpoint (and --update-endpoint) for a SPARQL server; `_open_store()` opens the choice."""
    for option in reversed(
        (
            click.option(
                "--store",
                "store_path",
                type=click.Path(file_okay=False, path_type=Path),
                default=None,
                expose_value=False,
                callback=_remember,
                help="Folder of the on-disk store (default: $CIRCE_KG_STORE or var/store in the checkout).",
            ),
            click.option(
                "--endpoint",
                default=None,
                expose_value=False,
                callback=_remember,
                metavar="URL",
                help="Use this SPARQL 1.1 server's query URL instead of the on-disk store "
                "(default: $CIRCE_KG_ENDPOINT).",
            ),
            click.option(
                "--update-endpoint",
                default=None,
                expose_value=False,
                callback=_remember,
                metavar="URL",
                help="The server's SPARQL Update URL, if not the query URL (default: "
                "$CIRCE_KG_UPDATE_ENDPOINT). The account: $CIRCE_KG_ENDPOINT_USER/_PASSWORD.",
            ),
            click.option(
                "--federate",
                default=None,
                expose_value=False,
                callback=_remember,
                metavar="URL,URL,…",
                help="Answer across these SPARQL endpoints at once, read-only (default: $CIRCE_KG_FEDERATE).",
            ),
        )
    ):
        command = option(command)
    return command


def _open_store() -> Store:
    meta = click.get_current_context().meta
    return open_store(
        meta.get("circe_kg.store_path"),
        meta.get("circe_kg.endpoint"),
        meta.get("circe_kg.update_endpoint"),
        meta.get("circe_kg.federate"),
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=__doc__.split("\n\n", 1)[1])
@click.version_option(package_name="circe-kg")
def main() -> None:
    """circe-kg: the CircE knowledge graph of circular-economy policy instruments and practices."""


@main.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--graph", "graph_iri", default=None, help="Load the one FILE into this named graph instead of its own.")
@store_option
@reports_errors
def load(files: tuple[Path, ...], graph_iri: str | None) -> None:
    """Load FILES (default: the shipped ontology/, shapes/ and data/) into the store, all or nothing.

    Each file goes to its own named graph; loading a file again replaces its graph. Every file is parsed
    and the resulting graph validated against the shapes before anything is written.
    """
    paths = list(files) or shipped_files()
    progress, update = _progress()
    with _open_store() as store, progress:
        summary = load_files(store, paths, update, graph_iri, WriteGate(store, history_path(store)), _who())
    for g in summary.graphs:
        out.print(f"{'replaced' if g.replaced else 'loaded  '} {g.file}: {g.triples} triples -> <{g.graph_iri}>")
    out.print(
        f"{len(summary.graphs)} file(s) loaded as version {summary.version}; the store holds "
        f"{summary.total_triples} triples ({summary.report.summary()})"
    )


def _who() -> str:
    """The history names CLI writes after the account that ran them."""
    return f"{getpass.getuser()} (circe-kg command line)"


@main.command()
@click.argument("graph")
@click.option("--to", "version", type=int, required=True, help="The version number (see `circe-kg query history`).")
@store_option
@reports_errors
def restore(graph: str, version: int) -> None:
    """Bring named GRAPH back to the content it had at VERSION (validated and recorded like any write)."""
    with _open_store() as store:
        change = WriteGate(store, history_path(store)).restore(expand(graph) or graph, version, _who())
    out.print(
        f"restored <{change.graphs[0].graph}> to version {version}, recorded as version {change.number} "
        f"(+{change.graphs[0].added} / -{change.graphs[0].removed} triples)"
    )


@main.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "turtle"]),
    default="text",
    show_default=True,
    help="text for people, json for scripts, turtle for the standard SHACL validation report.",
)
@click.option(
    "--against-store",
    is_flag=True,
    help="Validate FILES together with the store's graphs (default: with the shipped files).",
)
@store_option
@reports_errors
def validate(files: tuple[Path, ...], fmt: str, against_store: bool) -> None:
    """Validate FILES (default: the shipped ones) as if they were loaded. Nothing is stored.

    FILES replace the shipped files of the same name, so an edited copy of data/practices.ttl is checked in
    the context of everything else. Exit status 0 conforms, 1 violations.
    """
    paths = list(files)
    if against_store:
        with _open_store() as store:
            report = validate_files(store, paths)
    else:
        given = {p.resolve() for p in paths}
        context = [p for p in shipped_files() if p.resolve() not in given]
        names = {p.name for p in paths}
        context = [p for p in context if not (p.parent.name == "data" and p.name in names)]
        report = validate_files(None, context + paths)
    if fmt == "json":
        click.echo(report.to_json())
    elif fmt == "turtle":
        click.echo(report.to_turtle())
    else:
        click.echo(report.to_text())
    sys.exit(EXIT_INVALID_DATA if report.violations else 0)


@main.command()
@click.argument("name", required=False)
@click.option(
    "--param",
    "-p",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="A parameter of the query (repeatable). IRIs may be prefixed: barrier:sos-public-procurement.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json", "xml"]), default="table", show_default=True
)
@click.option("--list", "list_queries", is_flag=True, help="List the named queries and their parameters.")
@store_option
@reports_errors
def query(name: str | None, params: tuple[str, ...], fmt: str, list_queries: bool) -> None:
    """Ask the graph one of the named queries of queries/questions/ and queries/app/ (NAME without .rq)."""
    if list_queries or not name:
        for q in queries.available():
            out.print(f"[bold]{q.name}[/]  {q.title}", markup=True)
            for p in q.parameters:
                need = "required" if p.required else "optional"
                out.print(f"    --param {p.name}=…  ({p.type}, {need}) {p.description}")
        if not name and not list_queries:
            raise click.UsageError("give a query NAME (listed above)")
        return
    values: dict[str, str] = {}
    for item in params:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise click.BadParameter(f"{item!r}: write NAME=VALUE", param_hint="--param")
        values[key.strip()] = value
    queries.get(name)  # an unknown name is a usage error before the store is opened
    with _open_store() as store:
        if fmt != "table":
            sys.stdout.buffer.write(queries.serialized(store, name, values, RESULT_FORMATS[fmt]))
            sys.stdout.flush()
            return
        answer = queries.run(store, name, values)
        missing = store.missing_sources()
    if missing:
        err.print("partial answer: these endpoints did not answer: " + ", ".join(missing))
    if answer.boolean is not None:
        click.echo("yes" if answer.boolean else "no")
        return
    if answer.triples is not None:
        sys.stdout.buffer.write(serialize(answer.triples, ox.RdfFormat.TURTLE))
        sys.stdout.flush()
        return
    _print_table(answer)


def _show(term: AnyTerm) -> str:
    if isinstance(term, ox.NamedNode):
        return compact(term.value)
    if isinstance(term, ox.Literal):
        return term.value + (f" @{term.language}" if term.language and term.language != "en" else "")
    return str(term)


def _print_table(answer: queries.Answer) -> None:
    """People read labels: a column whose ?xLabel twin is there is left out (csv and json keep both)."""
    shown = [v for v in answer.variables if f"{v}Label" not in answer.variables]
    table = Table(title=answer.query.title or answer.query.name, show_lines=False)
    for variable in shown:
        table.add_column(variable.removesuffix("Label") if variable.endswith("Label") else variable, overflow="fold")
    for row in answer.rows:
        table.add_row(*(_show(row[v]) if v in row else "" for v in shown))
    out.print(table)
    out.print(f"{len(answer.rows)} row(s)")


@main.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(DUMP_FORMATS)),
    default="turtle",
    show_default=True,
    help="nquads and trig keep the named graphs; the others write the union of all graphs.",
)
@click.option("--graph", "graph_iri", default=None, help="Dump only this named graph.")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file instead of standard output.",
)
@store_option
@reports_errors
def dump(fmt: str, graph_iri: str | None, output: Path | None) -> None:
    """Write the store's content in an RDF format."""
    with _open_store() as store:
        if graph_iri and graph_iri not in store.named_graphs():
            raise click.BadParameter(
                f"no graph <{graph_iri}> in the store (see `circe-kg graphs`)", param_hint="--graph"
            )
        data = store.dump(DUMP_FORMATS[fmt], graph_iri)
    if output:
        output.write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


@main.command()
@click.argument("kinds", nargs=-1)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True, help="An .xlsx file.")
@click.option("--lang", default="en", show_default=True, help="Language of the headers and their help.")
@store_option
@reports_errors
def template(kinds: tuple[str, ...], output: Path, lang: str) -> None:
    """Write an empty spreadsheet for KINDS (practice, barrier, …; default: every kind), made from the shapes."""
    with _open_store() as store:
        layouts = [layout_for(store, kind, lang) for kind in kinds or KINDS]
        write_workbook(layouts, str(output))
    out.print(f"wrote {output}: {', '.join(f'{layout.sheet} ({len(layout.columns)} columns)' for layout in layouts)}")


@main.command()
@click.argument("kinds", nargs=-1)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True, help="An .xlsx or .csv file."
)
@click.option("--lang", default="en", show_default=True, help="Language of the headers.")
@store_option
@reports_errors
def export(kinds: tuple[str, ...], output: Path, lang: str) -> None:
    """Write the records of KINDS (default: every kind) in their template's layout, to edit and import again.

    A .csv file holds one kind."""
    csv_out = output.suffix.lower() == ".csv"
    if csv_out and len(kinds) != 1:
        raise click.BadParameter("a CSV file holds one kind: name exactly one (e.g. practice)", param_hint="KINDS")
    with _open_store() as store:
        layouts = [layout_for(store, kind, lang) for kind in kinds or KINDS]
        found = {layout.kind: sheet_records(store, layout) for layout in layouts}
    if csv_out:
        with output.open("w", newline="", encoding="utf-8-sig") as stream:
            csv.writer(stream).writerows(csv_rows(layouts[0], found[layouts[0].kind]))
    else:
        write_workbook(layouts, str(output), found)
    out.print(
        f"wrote {output}: " + ", ".join(f"{len(found[layout.kind])} {layout.sheet.lower()}" for layout in layouts)
    )


@main.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and show what would change; store nothing.")
@click.option("--kind", default=None, help="The kind of a CSV file's rows (default: read from the file's name).")
@click.option(
    "--mapping",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A saved column mapping (mappings/*.toml) for a sheet not made from a template.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@store_option
@reports_errors
def import_sheet(file: Path, dry_run: bool, kind: str | None, mapping: Path | None, fmt: str) -> None:
    """Import FILE (.xlsx made from `circe-kg template` or `export`, or .csv), all rows or none.

    Every problem names its cell (Practices!D14). Exit codes: 0 imported (or a clean dry run), 1 problems
    (nothing stored), 2 usage."""
    with _open_store() as store:
        gate = WriteGate(store, history_path(store))
        if mapping is not None:
            plan = plan_mapped(gate, file.read_bytes(), file.name, load_mapping(mapping))
        else:
            plan = plan_import(gate, file.read_bytes(), file.name, kind)
        if fmt == "json":
            click.echo(json.dumps(plan.to_dict(), indent=2, ensure_ascii=False))
        else:
            click.echo(plan.to_text())
        if plan.problems:
            sys.exit(EXIT_INVALID_DATA)
        if dry_run:
            click.echo("dry run: nothing was stored", err=True)
            return
        change = apply(gate, plan, _who())
    if change is None:
        click.echo("nothing to change: the store already holds these records", err=True)
    else:
        click.echo(f"imported as version {change.number}", err=True)


@main.command(name="export-graphs")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The folder of the data files (default: data/ of the checkout, the one `circe-kg load` reads).",
)
@click.option(
    "--graph",
    "graph_iris",
    multiple=True,
    metavar="IRI",
    help="Export only this data graph (repeatable; its IRI as `circe-kg graphs` lists it). The edits graph is then "
    "left as it is.",
)
@click.option(
    "--dry-run", is_flag=True, help="Say per file what would change (triples added / removed); write nothing."
)
@click.option(
    "--force", is_flag=True, help="Overwrite files edited by hand since they were loaded (their edits are lost)."
)
@store_option
@reports_errors
def export_graphs(data_dir: Path | None, graph_iris: tuple[str, ...], dry_run: bool, force: bool) -> None:
    """Write each data graph of the store back to its Turtle file in data/, to review with `git diff` and commit.

    Unchanged files are not touched; in a changed file only the changed records are written again (comments and
    the other records stay as they are). Records made in the browser (the edits graph) go to the file that
    describes their subject, or holds most resources of their class. A file edited by hand since it was loaded
    is refused (exit 1) unless --force; then nothing is written. Exit codes as for every command.
    """
    with _open_store() as store:
        plan = plan_export(store, data_dir or DATA_DIR, graph_iris, force)
        if plan.to_text():
            click.echo(plan.to_text())
        if dry_run:
            plan.check()
            click.echo("dry run: nothing was written", err=True)
            return
        result = apply_export(store, plan, _who())
    click.echo(result.to_text())


@main.command()
@store_option
@reports_errors
def graphs() -> None:
    """List the store's named graphs and their triple counts."""
    with _open_store() as store:
        for iri in store.named_graphs():
            out.print(f"{store.count(iri):>8}  {iri}")
        out.print(f"{store.count():>8}  in all")


class _SettingRow(TypedDict):
    """One setting as `circe-kg settings --format json` lists it."""

    name: str
    env: str | None
    default: str
    value: str | None  # None: unset; a secret's only as "(set)"
    kind: str
    scope: str
    secret: bool
    help: str


@main.command(name="settings")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table for people, json for scripts.",
)
def list_settings(fmt: str) -> None:
    """List every setting: its environment variable, default, the value set here and what it does.

    A secret's value (WRITE_TOKEN, ENDPOINT_PASSWORD, SECRET_KEY) is never shown, only "(set)". A setting
    without a variable is given to the web app's configuration only. The same table: docs/operators.md."""
    rows: list[_SettingRow] = [
        {
            "name": s.name,
            "env": s.env,
            "default": s.default_text,
            "value": settings.shown_value(s),
            "kind": s.kind.__name__,
            "scope": s.scope,
            "secret": s.secret,
            "help": s.help,
        }
        for s in settings.SETTINGS
    ]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = Table(show_lines=False)
    names = [row["name"] for row in rows], [row["env"] or "(config only)" for row in rows]
    for column, values in zip(("setting", "environment variable"), names, strict=True):
        table.add_column(column, no_wrap=True, min_width=max(map(len, values)))  # a name is never cut
    for column in ("default", "value here", "what it does"):
        table.add_column(column, overflow="fold")
    for row in rows:  # escaped: a help's [steward|editor|reviewer] is not markup
        cells = (row["name"], row["env"] or "(config only)", row["default"], row["value"] or "", row["help"])
        table.add_row(*(escape(cell) for cell in cells))
    # Piped or captured, the table is as wide as it needs to be (a terminal's width is not known there).
    (out if out.is_terminal else Console(highlight=False, width=max(out.width, 200))).print(table)


@main.command(name="harvest")
@click.argument("urls", nargs=-1, required=True, metavar="[NAME=]URL...")
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1),
    default=harvesting.DEFAULT_MAX_BYTES,
    show_default=True,
    help="The biggest dump to download (and, gzipped, to unpack), in bytes.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=harvesting.DEFAULT_TIMEOUT_S,
    show_default=True,
    help="Seconds to wait for a connection, for each next part of an answer, and for a whole catalogue.",
)
@click.option(
    "--max-time",
    type=click.FloatRange(min=0.1),
    default=harvesting.DEFAULT_MAX_TIME_S,
    show_default=True,
    help="Seconds a whole dump may take to download.",
)
@click.option("--no-checksum", is_flag=True, help="Harvest a dump the catalogue gives no SHA-256 for (not advised).")
@click.option(
    "--allow-private", is_flag=True, help="Allow sources at loopback and private addresses (your own network)."
)
@store_option
@reports_errors
def harvest(
    urls: tuple[str, ...], max_bytes: int, timeout: float, max_time: float, no_checksum: bool, allow_private: bool
) -> None:
    """Copy each source's published RDF dump into this store's graphs for it, validated and recorded.

    URL is a circe-kg's base URL (its /void is read) or a DCAT-AP catalogue's own URL; NAME=URL names the source
    (default: from the URL's host, port and path). Its data graphs go to
    https://w3id.org/circe-kg/graph/data/harvested/NAME/…, replacing the ones harvested before in one commit
    (graphs the source no longer has are dropped); a dump with the checksum of the last harvest writes nothing.
    Each source on its own: one that fails leaves the store as it was and the others are still harvested. Exit
    codes: 0 every source harvested or unchanged; else the first failure's: 1 refused (not a catalogue, no dump, too
    big, wrong checksum, does not parse or violates the shapes), 2 usage (not http(s), a private address without
    --allow-private, two sources with one name, a store without shapes), 3 a source did not answer (HTTP error, too
    slow, redirect loop) or the store is unusable."""
    sources = _harvest_sources(urls)
    limits = harvesting.Limits(max_bytes, timeout, max_time, allow_private, not no_checksum)
    failures: list[CirceError] = []
    with _open_store() as store:
        gate = WriteGate(store, history_path(store))
        for source in sources:
            try:
                outcome = harvesting.harvest(gate, source, limits, _who())
            except ValidationFailed as error:
                click.echo(
                    f"error: harvesting {source.name}: its data does not conform to this store's shapes; the copy "
                    f"harvested before (if any) is kept\n{error.to_text()}",
                    err=True,
                )
                failures.append(error)
                continue
            except CirceError as error:
                click.echo(f"error: harvesting {source.name}: {error.to_text()}", err=True)
                failures.append(error)
                continue
            click.echo(outcome.to_text())
    if failures:
        sys.exit(failures[0].exit_code)


def _harvest_sources(urls: tuple[str, ...]) -> list[harvesting.Source]:
    """The sources named by `urls`, every one checked before anything is fetched. Raises UsageError for a URL
    that is not http(s), a bad name, or two sources that would share their graphs."""
    sources = [harvesting.source_of(url) for url in urls]
    names = [source.name for source in sources]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise UsageError(
            f"two sources would be harvested into the same graphs: {', '.join(twice)}",
            "name them apart: NAME=URL",
        )
    return sources


@main.command()
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind (127.0.0.1 keeps it local).")
@click.option(
    "--harvest",
    "harvest_urls",
    multiple=True,
    metavar="[NAME=]URL",
    help="Harvest this source while serving, as `circe-kg harvest` does (repeatable): at start, then --every.",
)
@click.option(
    "--every", default=None, metavar="DURATION", help="Harvest the --harvest sources again this often: 30m, 1h, 1d."
)
@click.option(
    "--harvest-allow-private", is_flag=True, help="Let --harvest reach loopback and private addresses (your network)."
)
@store_option
@reports_errors
def serve(port: int, host: str, harvest_urls: tuple[str, ...], every: str | None, harvest_allow_private: bool) -> None:
    """Serve the web app and the SPARQL endpoint over the store.

    Settings that cannot work (a write token shorter than 16 characters or given twice, a malformed or missing
    CIRCE_KG_TOKENS_FILE) stop it before it listens, with what is wrong and where on stderr (exit status 2).
    With --harvest, a background thread harvests those sources through the server's own write gate and prints each
    outcome; a source that fails is said and tried again at the next round."""
    from waitress import serve as waitress_serve

    from .web import create_app
    from .web.services import services_of
    from .web.tokens import configured_tokens

    settings.check()  # a variable that cannot be read as its setting's kind stops the start, naming it
    configured_tokens({})  # the environment's tokens, checked before the store is opened (create_app does again)
    if every is not None and not harvest_urls:
        raise UsageError("--every says how often to harvest, but no --harvest source is given", "add --harvest URL")
    every_s = harvesting.parse_duration(every) if every is not None else None
    sources = _harvest_sources(harvest_urls)  # a bad URL stops the start, not the thread
    store = _open_store()
    if store.count() == 0:
        err.print("note: the store is empty; run `circe-kg load` first to load the shipped data")
    try:
        app = create_app(store=store)
    except BaseException:
        store.close()
        raise
    out.print(f"circe-kg serving {store.count()} triples on http://{host}:{port}/  (SPARQL: /sparql)")
    threading.Thread(
        target=_prepare_search, args=(services_of(app).search,), daemon=True, name="circe-kg-search-index"
    ).start()
    if sources:
        limits = harvesting.Limits(allow_private=harvest_allow_private)
        schedule = (services_of(app).gate, sources, limits, every_s, _who(), _say, threading.Event())
        threading.Thread(target=harvesting.keep_harvesting, args=schedule, daemon=True, name="circe-kg-harvest").start()
        out.print(f"harvesting {len(sources)} source(s) " + (f"every {every}" if every else "once, now"))
    waitress_serve(app, host=host, port=port, threads=8, ident="circe-kg")


def _say(text: str) -> None:
    """A line of the server's log, as it is (not rich markup), at once (the log may be a pipe)."""
    click.echo(text)
    sys.stdout.flush()


def _prepare_search(index: SearchIndex) -> None:
    """Build the search index as the server starts, not when the first person searches: on a large store that
    person would wait as long as the build. A search that comes sooner waits for this build, never starts another."""
    started = time.perf_counter()
    try:
        texts = index.prepare()
    except CirceError as error:  # the store went away: the first search will say so, and try again
        err.print(f"search index not built: {error.message}")
        return
    pending = index.meaning_pending()
    reading = f"; {pending} passages left for the meaning model to read, in the background" if pending else ""
    out.print(f"search index ready: {texts} texts in {time.perf_counter() - started:.1f} s{reading}")


@main.command()
@click.option(
    "--triples",
    type=click.IntRange(min=1),
    default=None,
    help="About how many triples to write (within ±20 %); picks the number of projects.",
)
@click.option("--projects", type=click.IntRange(min=1), default=None, help="How many projects to write, instead.")
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="The same seed and size write the same file, byte for byte.",
)
@click.option(
    "--out",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The file to write: .nt for N-Triples (the fast one) or .ttl for Turtle.",
)
@reports_errors
def generate(triples: int | None, projects: int | None, seed: int, output: Path) -> None:
    """Write synthetic benchmark data of CircE's shape: projects, partners, instruments, barriers, practices,
    action plans, monitoring, transfers.

    Every resource is marked circe:illustrative, with a note naming this command, and lives under
    https://w3id.org/circe-kg/id/synthetic/. Load the file with `circe-kg load FILE` (a data graph of its own,
    removable as one); it is never written into data/.
    """
    from . import synthetic
    from .errors import UsageError

    if (triples is None) == (projects is None):
        raise UsageError(
            "give either --triples or --projects (one of them)",
            "e.g. circe-kg generate --triples 100000 --seed 1 --out /tmp/synthetic.nt",
        )
    count = projects if projects is not None else synthetic.projects_for(triples or 0)
    written = synthetic.write_file(output, count, seed)
    out.print(f"wrote {written} triples of {count} synthetic project(s) (seed {seed}) to {output}")
