"""Virtuoso (Debian's virtuoso-opensource) on loopback ports, from an ini of its own in a temporary
folder: a fresh database, its SQL and HTTP listeners on 127.0.0.1 only, the Graph Store endpoint
(/sparql-graph-crud) writable by the anonymous SPARQL user, as a publisher's private engine would be."""

from __future__ import annotations

import subprocess
from pathlib import Path

from support.paths import need_tool
from benchmarks.measure import terminate, wait_until_answers
from support.servers import free_port

INI = """[Database]
DatabaseFile = {folder}/virtuoso.db
ErrorLogFile = {folder}/virtuoso.log
LockFile = {folder}/virtuoso.lck
TransactionFile = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {folder}/virtuoso-temp.db
TransactionFile = {folder}/virtuoso-temp.trx

[Parameters]
ServerPort = 127.0.0.1:{sql}
DisableUnixSocket = 1
NumberOfBuffers = 20000
MaxDirtyBuffers = 12000
DirsAllowed = ., {folder}
CheckpointInterval = 0

[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = {folder}
ServerThreads = 8
MaxClientConnections = 8
EnabledGzipContent = 0

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 60
"""
# The anonymous user may write graphs (the Graph Store endpoint and SPARQL Update run as it).
GRANTS = ["GRANT SPARQL_UPDATE TO \"SPARQL\";", "DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 7);"]


class VirtuosoServer:
    """virtuoso-t in the foreground on free loopback ports; `url` is its base URL."""

    def __init__(self, folder: Path):
        binary, self.isql = need_tool("virtuoso-t"), need_tool("isql-vt")
        self.folder, self.sql, http = Path(folder), free_port(), free_port()
        self.url = f"http://127.0.0.1:{http}"
        ini = self.folder / "virtuoso.ini"
        ini.write_text(INI.format(folder=self.folder, sql=self.sql, http=http), encoding="utf-8")
        self.process = subprocess.Popen([binary, "+foreground", "+configfile", str(ini)], cwd=self.folder,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._await()
        self.execute(*GRANTS)

    def _await(self) -> None:
        try:
            wait_until_answers(self.endpoint, "ASK {}", self.process, 120)
        except (RuntimeError, TimeoutError) as error:
            self.close()
            raise RuntimeError(f"virtuoso-t did not start ({error}): {self.log()}") from error

    def execute(self, *statements: str) -> None:
        """SQL statements as the database administrator (a fresh database's dba/dba)."""
        done = subprocess.run([self.isql, f"127.0.0.1:{self.sql}", "dba", "dba", "VERBOSE=OFF",
                               "exec=" + " ".join(statements)], capture_output=True, text=True, timeout=60)
        if done.returncode != 0 or "Error" in done.stdout + done.stderr:
            raise RuntimeError(f"isql: {done.stdout} {done.stderr}")

    def log(self) -> str:
        path = self.folder / "virtuoso.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    @property
    def graph_store(self) -> str:
        return self.url + "/sparql-graph-crud"

    @property
    def endpoint(self) -> str:
        return self.url + "/sparql"

    def close(self) -> None:
        terminate(self.process, 30)
