"""Write the README's configuration table and .env.example from lvv/settings_catalog.py.

python scripts/settings_docs.py          # rewrite both (make settings-docs)
python scripts/settings_docs.py --check  # exit 1 with a diff when either differs
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lvv.settings_catalog import env_example, readme_with_table  # noqa: E402


def generated(root: Path) -> dict[Path, tuple[str, str]]:
    """Each file's path with its current and its generated text."""
    readme, example = root / "README.md", root / ".env.example"
    current_readme = readme.read_text(encoding="utf-8")
    current_example = example.read_text(encoding="utf-8") if example.exists() else ""
    return {
        readme: (current_readme, readme_with_table(current_readme)),
        example: (current_example, env_example()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 with a diff when a file drifts")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        files = generated(args.root)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    drifted = False
    for path, (current, wanted) in files.items():
        if current == wanted:
            continue
        name = path.relative_to(args.root).as_posix()
        if args.check:
            drifted = True
            sys.stdout.writelines(
                difflib.unified_diff(
                    current.splitlines(keepends=True),
                    wanted.splitlines(keepends=True),
                    fromfile=f"{name} (as it is)",
                    tofile=f"{name} (from lvv/settings_catalog.py)",
                )
            )
        else:
            path.write_text(wanted, encoding="utf-8")
            print(f"wrote {name}")
    if drifted:
        print("Out of date: run make settings-docs.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
