"""Run one command in this interpreter and record its own peak memory as it ends.

    python benchmarks/_probe.py OUT -m onepin_sync plan ...     # a module, like `python -m`
    python benchmarks/_probe.py OUT benchmarks/peer_sdk.py ...   # a script, like `python FILE`

When the command finishes (return, `sys.exit` or an exception), the process's high-water mark
`VmHWM` from /proc/self/status is written to OUT, in KiB. That is the command's own peak, unlike
`ru_maxrss` of a child, which starts from the size of the process that spawned it. Costs a
`runpy` import (about 2 ms), nothing else. Standard library only.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path


def peak_kib() -> int:
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def main() -> None:
    out, command = Path(sys.argv[1]), sys.argv[2:]
    try:
        if command[0] == "-m":
            sys.argv = [command[1], *command[2:]]
            runpy.run_module(command[1], run_name="__main__", alter_sys=True)
        else:
            sys.argv = command
            sys.path[0] = str(Path(command[0]).resolve().parent)
            runpy.run_path(command[0], run_name="__main__")
    finally:
        out.write_text(str(peak_kib()), encoding="ascii")


if __name__ == "__main__":
    main()
