"""An audit hook in the server's Python processes: every file opened, directory listed, connection made."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Installed as sitecustomize.py in the audited server's environment (it reaches the engine's
# zygote and workers too, which are `python -m zaisei.serving.engine` children of the server).
AUDIT = r'''
import os, sys
_log = os.environ.get("ZAISEI_AUDIT_LOG")
if _log:
    _out = open(_log, "a", buffering=1, encoding="utf-8", errors="backslashreplace")
    _pid = os.getpid()

    def _hook(event, args):
        if event in ("open", "os.listdir", "os.scandir") and args and isinstance(args[0], (str, bytes, os.PathLike)):
            _out.write(f"{os.getpid()}\t{event}\t{os.path.abspath(os.fsdecode(args[0]))!r}\n")
        elif event == "socket.connect":
            _out.write(f"{os.getpid()}\tconnect\t{args[1]!r}\n")
        elif event in ("urllib.Request", "http.client.connect"):
            _out.write(f"{os.getpid()}\t{event}\t{args[:2]!r}\n")

    sys.addaudithook(_hook)
'''


@dataclass
class Audit:
    """The audit log of a server: (pid, event, argument) lines."""

    path: Path

    def size(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0

    def events(self, since: int = 0) -> list[tuple[str, str, str]]:
        with open(self.path, encoding="utf-8") as log:
            log.seek(since)
            return [tuple(line.rstrip("\n").split("\t", 2)) for line in log if line.count("\t") >= 2]

    def files(self, since: int = 0) -> list[str]:
        """Paths opened or listed (as absolute paths)."""
        import ast

        return [ast.literal_eval(arg) for _, event, arg in self.events(since) if event in ("open", "os.listdir",
                                                                                             "os.scandir")]

    def connections(self, since: int = 0) -> list[str]:
        return [arg for _, event, arg in self.events(since)
                if event in ("connect", "urllib.Request", "http.client.connect")]


def audited_environment() -> tuple[dict, Audit]:
    """An environment whose Python processes log to the returned Audit (a sitecustomize on PYTHONPATH)."""
    folder = Path(tempfile.mkdtemp(prefix="zaisei-audit-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    (folder / "sitecustomize.py").write_text(AUDIT, encoding="utf-8")
    audit = Audit(folder / "audit.log")
    environment = {**os.environ, "ZAISEI_AUDIT_LOG": str(audit.path)}
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))
    return environment, audit
