"""No network for the processes that run queries: the second defence behind the query check.

Whatever a query says, a process confined here cannot open an internet socket:
a seccomp filter makes socket() fail with EACCES for every address family but
AF_UNIX (the engine's own pipes and control socket), and io_uring (which can
open sockets without the socket() system call) with EPERM. The filter is
inherited across fork(), so confining the zygote confines every worker.

Where seccomp is unavailable (another architecture, a kernel without it), a new
network namespace (no interface but a loopback that is down) does the same, if
the process may create one. If neither works the caller is told why, and says so
loudly: the query check still stands, but nothing behind it.
"""

from __future__ import annotations

import ctypes
import platform
import socket
import struct

PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000
# audit architecture, socket(), io_uring_setup() per machine (linux/audit.h, the syscall tables)
ARCHITECTURES = {"x86_64": (0xC000003E, 41, 425), "aarch64": (0xC00000B7, 198, 425)}
X32_SYSCALL_BIT = 0x40000000
RET_ALLOW, RET_KILL = 0x7FFF0000, 0x80000000
RET_EACCES, RET_EPERM = 0x00050000 | 13, 0x00050000 | 1
_LD, _JEQ, _JGE, _RET = 0x20, 0x15, 0x35, 0x06   # BPF_LD|W|ABS, BPF_JMP|JEQ|K, BPF_JMP|JGE|K, BPF_RET|K


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _filter(arch: int, socket_nr: int, io_uring_nr: int) -> bytes:
    """The BPF program: check the architecture, then allow all but socket(!AF_UNIX) and io_uring."""
    steps = [
        (_LD, 0, 0, 4),                        # 0: A = seccomp_data.arch
        (_JEQ, 1, 0, arch),                    # 1: our architecture? skip the kill
        (_RET, 0, 0, RET_KILL),                # 2: a foreign ABI: never expected, never allowed
        (_LD, 0, 0, 0),                        # 3: A = seccomp_data.nr
        (_JGE, 0, 1, X32_SYSCALL_BIT),         # 4: x32 system calls alias the 64-bit ones
        (_RET, 0, 0, RET_KILL),                # 5
        (_JEQ, 0, 1, io_uring_nr),             # 6: io_uring_setup
        (_RET, 0, 0, RET_EPERM),               # 7
        (_JEQ, 0, 3, socket_nr),               # 8: socket(): look at the family; else allow
        (_LD, 0, 0, 16),                       # 9: A = args[0] (low 32 bits, little-endian)
        (_JEQ, 1, 0, socket.AF_UNIX),          # 10: AF_UNIX: allow
        (_RET, 0, 0, RET_EACCES),              # 11: every other family
        (_RET, 0, 0, RET_ALLOW),               # 12
    ]
    return b"".join(struct.pack("HBBI", *step) for step in steps)


def _seccomp() -> None:
    machine = platform.machine()
    if machine not in ARCHITECTURES:
        raise OSError(f"no seccomp filter written for {machine}")
    code = _filter(*ARCHITECTURES[machine])
    buffer = ctypes.create_string_buffer(code, len(code))
    program = _Program(len(code) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, None, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(program), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")


def _namespace() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) == 0:
        return
    if libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET)")


def _blocked() -> bool:
    """True when this process can no longer reach any host (checked, not assumed)."""
    try:
        probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    except OSError:
        return True
    with probe:
        probe.settimeout(0.2)
        try:
            probe.connect(("127.0.0.1", 9))   # loopback is down in a fresh network namespace
        except OSError as exc:
            return exc.errno in (101, 99)     # ENETUNREACH, EADDRNOTAVAIL; not "refused"
    return False


def confine() -> str:
    """Take this process (and its future children) off the network; how, or why not.

    Returns "seccomp", "network namespace", or "none: <reasons>" when nothing worked."""
    reasons = []
    for name, method in (("seccomp", _seccomp), ("network namespace", _namespace)):
        try:
            method()
        except OSError as exc:
            reasons.append(f"{name}: {exc}")
            continue
        if _blocked():
            return name
        reasons.append(f"{name}: applied, but a socket still connects")
    return "none: " + "; ".join(reasons)


def confined() -> bool:
    """True when confine() has been applied to this process (seccomp or namespace)."""
    return _blocked()

