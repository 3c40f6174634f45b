"""Real SPARQL 1.1 servers started on 127.0.0.1 in a folder of their own: for the tests, the benchmarks and
for trying the server backend out. Nothing here is needed to run circe-kg against an operator's server.

- Oxigraph server, from the `oxigraph` PyPI package (a dependency): `oxigraph serve`.
- Virtuoso 7, from Debian's `virtuoso-opensource` package: our own `virtuoso.ini` (copied from Debian's and
  pointed at the folder), because the packaged service is system-wide, capped at 10 000 result rows and
  keeps the well-known default password.

Each server is a context manager: it starts on free ports, waits until it answers, and is stopped (and its
process reaped) on exit.
"""

from __future__ import annotations

import configparser
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

DEBIAN_VIRTUOSO_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")
# Whether a server process may start now: tests/conftest.py sets it for each test from its `server` marker, so that
# the fast loop (`-m "not server"`) cannot start one unnoticed. Always true outside the tests.
starts_allowed = True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_answers(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the server stopped at start (exit {process.returncode}); its log {log}:\n"
                + log.read_text(errors="replace")[-2000:]
            )
        try:
            requests.get(url, params={"query": "ASK {}"}, timeout=1)
            return
        except (requests.ConnectionError, requests.Timeout):  # not listening yet, or busy starting
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"the server did not answer at {url} within {seconds} s; its log: {log}")


@dataclass
class LocalServer:
    """A started server: where to send queries and updates, and the credentials updates need (if any)."""

    folder: Path
    query_url: str = ""
    update_url: str = ""
    user: str | None = None
    password: str | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    log: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._check_allowed()

    def _check_allowed(self) -> None:
        if not starts_allowed:
            raise RuntimeError(
                f"this test starts {type(self).__name__} but is not marked `server`: mark it "
                "`@pytest.mark.server` (or its module: `pytestmark = pytest.mark.server`)"
            )

    def _launch(self, command: list[str], log_name: str, env: dict[str, str] | None = None) -> None:
        self._check_allowed()
        if self.log is not None:
            self.log.close()
        self.log = (self.folder / log_name).open("ab")
        self.process = subprocess.Popen(command, cwd=self.folder, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.log is not None:
            self.log.close()
            self.log = None

    def kill(self) -> None:
        """Stop it the hard way (SIGKILL), as a crash would."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def oxigraph_binary() -> str:
    beside_python = Path(sys.executable).with_name("oxigraph")
    return str(beside_python) if beside_python.exists() else (shutil.which("oxigraph") or "oxigraph")


class OxigraphServer(LocalServer):
    """`oxigraph serve` on disk in `folder`, answering over the union of its named graphs (as circe-kg's
    embedded store does), with a query time limit so a runaway query cannot keep a core busy."""

    def __init__(
        self, folder: Path, port: int | None = None, timeout_s: float = 30, union_default_graph: bool = True
    ) -> None:
        super().__init__(folder)
        self.port = port or free_port()
        self.timeout_s = timeout_s
        self.union_default_graph = union_default_graph
        self.start()

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        union = ["--union-default-graph"] if self.union_default_graph else []
        self._launch(
            [
                oxigraph_binary(),
                "serve",
                "--location",
                str(self.folder / "db"),
                "--bind",
                f"127.0.0.1:{self.port}",
                *union,
                "--timeout-s",
                str(int(self.timeout_s)),
            ],
            "oxigraph.log",
        )
        self.query_url = f"http://127.0.0.1:{self.port}/query"
        self.update_url = f"http://127.0.0.1:{self.port}/update"
        _wait_until_answers(self.query_url, self.process, self.folder / "oxigraph.log", 20)


def virtuoso_available() -> bool:
    return DEBIAN_VIRTUOSO_INI.exists() and shutil.which("virtuoso-t") is not None


class VirtuosoServer(LocalServer):
    """Virtuoso 7 with a database in `folder`. SPARQL at /sparql; updates go to /sparql-auth as the DBA, whose
    password is set to a fresh random one at first start (never the default, never stored in the repo)."""

    def __init__(
        self,
        folder: Path,
        http_port: int | None = None,
        sql_port: int | None = None,
        max_rows: int = 10_000_000,
        query_seconds: int = 60,
    ) -> None:
        super().__init__(folder)
        self.http_port = http_port or free_port()
        self.sql_port = sql_port or free_port()
        self.max_rows, self.query_seconds = max_rows, query_seconds
        self.start()

    def _write_ini(self) -> Path:
        ini = configparser.RawConfigParser(strict=False, inline_comment_prefixes=(";",), comment_prefixes=(";", "#"))
        ini.optionxform = str  # type: ignore[assignment,method-assign]  # Virtuoso's keys are case-sensitive
        ini.read(DEBIAN_VIRTUOSO_INI)
        db = self.folder / "db"
        db.mkdir(parents=True, exist_ok=True)
        for section, prefix in (("Database", "virtuoso"), ("TempDatabase", "virtuoso-temp")):
            for key, suffix in (
                ("DatabaseFile", "db"),
                ("ErrorLogFile", "log"),
                ("LockFile", "lck"),
                ("TransactionFile", "trx"),
                ("xa_persistent_file", "pxa"),
            ):
                if ini.has_option(section, key):
                    ini.set(section, key, str(db / f"{prefix}.{suffix}"))
        ini.set("Parameters", "ServerPort", f"127.0.0.1:{self.sql_port}")
        ini.set("Parameters", "DirsAllowed", f"., /usr/share/virtuoso-opensource-7/vad, {self.folder}")
        # Big enough for a 10^6-triple load in one transaction (the default 50 MB aborts it).
        ini.set("Parameters", "TransactionAfterImageLimit", "2000000000")
        ini.set("Parameters", "NumberOfBuffers", "170000")
        ini.set("Parameters", "MaxDirtyBuffers", "130000")
        ini.set("HTTPServer", "ServerPort", f"127.0.0.1:{self.http_port}")
        ini.set("HTTPServer", "MaxClientConnections", "20")
        ini.set("HTTPServer", "ServerThreads", "20")
        # Debian's defaults silently cut every answer at 10 000 rows.
        ini.set("SPARQL", "ResultSetMaxRows", str(self.max_rows))
        ini.set("SPARQL", "MaxQueryExecutionTime", str(self.query_seconds))
        ini.set("SPARQL", "MaxConstructTriples", str(self.max_rows))
        path = self.folder / "virtuoso.ini"
        with path.open("w") as out:
            ini.write(out)
        return path

    def start(self) -> None:
        ini = self._write_ini()
        first_start = not (self.folder / "password").exists()
        self._launch(["virtuoso-t", "+foreground", "+configfile", str(ini)], "virtuoso-stdout.log")
        self.query_url = f"http://127.0.0.1:{self.http_port}/sparql"
        self.update_url = f"http://127.0.0.1:{self.http_port}/sparql-auth"
        _wait_until_answers(self.query_url, self.process, self.folder / "virtuoso-stdout.log", 60)
        self.user = "dba"
        if first_start:
            password = "p" + secrets.token_hex(16)  # isql parses it bare: a letter first, then hex
            self.isql("dba", f"SET PASSWORD dba {password}; checkpoint;")
            (self.folder / "password").write_text(password)
            (self.folder / "password").chmod(0o600)
        self.password = (self.folder / "password").read_text()

    def isql(self, password: str, statements: str) -> str:
        done = subprocess.run(
            ["isql-vt", f"127.0.0.1:{self.sql_port}", "dba", password, f"exec={statements}"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0 or "*** Error" in done.stdout + done.stderr:
            raise RuntimeError(f"isql failed: {done.stdout[-1000:]} {done.stderr[-1000:]}")
        return done.stdout


class CirceApp(LocalServer):
    """A real `circe-kg serve` on 127.0.0.1 over freshly loaded data: on the embedded store in `folder`, or on
    `server` (a started SPARQL server) — for the browser tests, the load test and the load benchmark."""

    def __init__(
        self,
        folder: Path,
        server: LocalServer | None = None,
        port: int | None = None,
        load: bool = True,
        **settings: str,
    ) -> None:
        super().__init__(folder)
        self.port = port or free_port()
        self.env = {**os.environ, "CIRCE_KG_STORE": str(folder / "store"), "CIRCE_KG_VAR": str(folder), **settings}
        if server is not None:
            self.env.update(
                CIRCE_KG_ENDPOINT=server.query_url,
                CIRCE_KG_UPDATE_ENDPOINT=server.update_url,
                CIRCE_KG_ENDPOINT_USER=server.user or "",
                CIRCE_KG_ENDPOINT_PASSWORD=server.password or "",
            )
        self.base_url = f"http://127.0.0.1:{self.port}/"
        self.folder.mkdir(parents=True, exist_ok=True)
        if load:  # load=False serves a store the caller has filled (bench/large.py bulk-loads 10^7 triples)
            loaded = subprocess.run([self._command(), "load"], env=self.env, capture_output=True, timeout=300)
            if loaded.returncode != 0:
                raise RuntimeError("circe-kg load failed: " + loaded.stderr.decode(errors="replace")[-2000:])
        self.start()

    @staticmethod
    def _command() -> str:
        return str(Path(sys.executable).with_name("circe-kg"))

    def start(self) -> None:
        self._launch([self._command(), "serve", "--port", str(self.port)], "serve.log", self.env)
        self.query_url = self.base_url + "sparql"
        _wait_until_answers(self.query_url, self.process, self.folder / "serve.log", 60)
