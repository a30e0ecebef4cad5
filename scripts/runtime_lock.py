"""Print the runtime lock: the packages pip would install for the project without extras.

Reads the JSON report of ``pip install --dry-run --ignore-installed --report - -e .`` (made
with ``-c requirements-dev.lock``, so the versions are those of the development lock) on
standard input and prints ``name==version`` lines, sorted as ``pip freeze`` sorts them,
leaving out the project itself. ``make lock`` writes them to requirements.lock.
"""

from __future__ import annotations

import json
import sys


def main() -> int:
    report = json.load(sys.stdin)
    pins = {}
    for item in report["install"]:
        if item.get("download_info", {}).get("dir_info", {}).get("editable"):
            continue  # the project, which runs from its source tree
        metadata = item["metadata"]
        pins[metadata["name"]] = metadata["version"]
    for name in sorted(pins, key=str.lower):
        print(f"{name}=={pins[name]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
