"""The zygote process: python -m zaisei.serving.engine OUTPUT CONTROL_FD REPORTS_FD MEMORY_MB [SNAPSHOT] (started by LocalEngine)."""

import sys

from zaisei.serving.engine.worker import zygote

zygote(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] if len(sys.argv) > 5 else "")
