"""Query execution for the SPARQL endpoint: jobs, answers, limits; no Flask here.

Two engines answer the same Job with the same Answer and the same errors:
- LocalEngine (pool.py): worker processes over the publication, killed on timeout
  (worker.py, sandboxed: sandbox.py), handed out fairly (admission.py); small queries
  are answered in the server process (cheap.py);
- RemoteEngine (remote.py): any SPARQL 1.1 engine over HTTP, in its place.
The caller (web/sparql.py) has already refused unsafe queries (serving/safety.py).
"""

from zaisei.serving.engine.jobs import (KINDS, Answer, EngineFailure, Job, Overloaded, QueryTimeout, TooManyQueries,
                                        acceptable, encoded, execute, syntax_message, too_large, too_many)
from zaisei.serving.engine.pool import LocalEngine
from zaisei.serving.engine.remote import RemoteEngine, publish

__all__ = ["KINDS", "Answer", "EngineFailure", "Job", "LocalEngine", "Overloaded", "QueryTimeout", "RemoteEngine",
           "TooManyQueries", "acceptable", "encoded", "execute", "publish", "syntax_message", "too_large", "too_many"]
