"""The test helpers of tests/support/ checked themselves."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

from support.audit import audited_environment
from support.outputs import KASEI, protocol_output
from support.processes import alive, memory, tree
from support.servers import Listener, get, raw


def test_memory_counts_a_process_and_its_children():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        deadline = time.monotonic() + 5
        while child.pid not in tree(os.getpid()) and time.monotonic() < deadline:
            time.sleep(0.01)
        rss, pss, count = memory(os.getpid())
        assert count >= 2 and rss > memory(child.pid)[0] > 0 and 0 < pss <= rss
    finally:
        child.kill()
        child.wait()
    assert not alive(child.pid)


def test_the_audit_sees_files_and_connections_of_children_too(tmp_path):
    """The hook reaches a child and a grandchild (as the engine's zygote and workers) and logs them."""
    environment, audit = audited_environment()
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    secret = tmp_path / "secret.txt"
    secret.write_text("x", encoding="utf-8")
    child = ("import socket, subprocess, sys; open(sys.argv[1]).read(); "
             "socket.create_connection(('127.0.0.1', int(sys.argv[2]))).close(); "
             "subprocess.run([sys.executable, '-c', 'import os; os.listdir(\"/\")'])")
    subprocess.run([sys.executable, "-c", child, str(secret), str(port)], env=environment,
                   check=True, timeout=60)
    server.close()
    assert str(secret) in audit.files() and "/" in audit.files()
    assert any(f"('127.0.0.1', {port})" in c for c in audit.connections()), audit.connections()
    assert len({pid for pid, _, _ in audit.events()}) == 2


def test_raw_parses_an_answer():
    server = socket.create_server(("127.0.0.1", 0))

    def answer():
        connection, _ = server.accept()
        connection.recv(1024)
        connection.sendall(b"HTTP/1.1 418 I'm a teapot\r\nX-A: b\r\n\r\ntea")
        connection.close()

    thread = threading.Thread(target=answer)
    thread.start()
    found = raw(server.getsockname()[1], get("/"))
    thread.join()
    server.close()
    assert (found.status, found.headers["x-a"], found.body) == (418, "b", b"tea")


def test_tiny_output_is_a_publication():
    from zaisei.serving.published import Publication

    publication = Publication(protocol_output())
    assert publication.graphs == [f"{KASEI}data{n}.rdf" for n in (1, 2, 3)]
    assert len(publication.store) == 3


def test_listener_counts_connections():
    listener = Listener()
    socket.create_connection(("127.0.0.1", listener.port)).close()
    assert listener.close() == 1
