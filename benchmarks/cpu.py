"""CPU seconds used by whole process trees (a Celery worker and its pool, PostgreSQL, knotd).

On a machine where every part shares the same cores, the wall clock says how
fast, and this says where the cores went: the workers' own split (probing,
storing) comes from their chunk timings, the database's and the DNS server's
from their processes. Read from /proc: utime + stime of every live process in
the tree, plus cutime + cstime (children already reaped, e.g. closed
PostgreSQL backends).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process and its reaped children), or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as file:
            text = file.read()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # the command name may hold spaces and ')'
    ppid = int(fields[1])
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    return ppid, (utime + stime + cutime + cstime) / TICKS


def _all_processes() -> dict[int, tuple[int, float]]:
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None:
            found[int(entry)] = stat
    return found


def tree_cpu(roots: Mapping[str, int]) -> dict[str, float]:
    """CPU seconds so far of each named process and all its descendants."""
    processes = _all_processes()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in processes.items():
        children.setdefault(ppid, []).append(pid)
    totals = {}
    for name, root in roots.items():
        total, todo = 0.0, [root]
        while todo:
            pid = todo.pop()
            if pid in processes:
                total += processes[pid][1]
                todo.extend(children.get(pid, []))
        totals[name] = total
    return totals


def postmaster_pid(data_dir: str) -> int | None:
    """The PostgreSQL server's main process, from its data directory."""
    try:
        with open(os.path.join(data_dir, "postmaster.pid")) as file:
            return int(file.readline())
    except (OSError, ValueError):
        return None


def udp_drops() -> int:
    """Datagrams the kernel dropped for want of socket buffer space, machine-wide, so far.

    On loopback each one is a DNS query or answer lost: that domain waits a full
    DNS_TIMEOUT for its retry, and so does the chunk it is in.
    """
    with open("/proc/net/snmp") as file:
        rows = [line.split() for line in file if line.startswith("Udp:")]
    header, values = rows[0], rows[1]
    return int(values[header.index("RcvbufErrors")])
