"""The settings catalog (lvv/settings_catalog.py) covers every variable the code and Compose
read, each in its scope, with the defaults the code has; the README's table and
.env.example are what it generates."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from lvv.document_storage import DOCUMENT_MAX_BYTES_DEFAULT
from lvv.settings_catalog import BY_NAME, NOT_CONFIGURATION, SETTINGS, Scope, env_example, readme_with_table

ROOT = Path(__file__).resolve().parents[2]
NAME = r"([A-Z][A-Z0-9_]*)"
# env.str("X", ...), os.environ.get("X"), os.getenv("X"), and the two helpers that pass a
# literal name on: lvv/env.py's _raw("X") and lvv/document_storage.py's optional("X").
READ = re.compile(rf"""(?:\benv\.(?!setdefault)\w+|os\.environ\.get|os\.getenv|\boptional|\._raw)\(\s*["']{NAME}["']""")
ITEM = re.compile(rf"""os\.environ\[\s*["']{NAME}["']\s*\]""")
LITERAL = r"""(-?\d+(?:\.\d+)?|True|False|"[^"]*")"""
READ_WITH_DEFAULT = re.compile(
    rf"""(?:\benv\.(?!setdefault)\w+|os\.environ\.get|os\.getenv)\(\s*["']{NAME}["']\s*,\s*(?:default=)?{LITERAL}\s*\)"""
)
COMPOSE_REF = re.compile(rf"(?<!\$)\$\{{{NAME}(?::?-([^}}]*))?\}}")
# Not the application's: its tests, the test settings, benchmarks, and the catalog itself.
NOT_APPLICATION = ("tests/", "lvv/settings_test.py", "lvv/settings_catalog.py", "scripts/benchmark_")
SKIPPED_FOLDERS = {"static", "locale", "docs", "templates", "node_modules"}
TEST_SOURCES = ("lvv/settings_test.py",)


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def application_sources() -> list[Path]:
    paths = list(ROOT.glob("*.py"))
    for folder in sorted(ROOT.iterdir()):
        if folder.is_dir() and not folder.name.startswith(".") and folder.name not in SKIPPED_FOLDERS:
            paths += folder.rglob("*.py")
    return [path for path in paths if not relative(path).startswith(NOT_APPLICATION)]


def reads(paths) -> dict[str, set[str]]:
    """Each variable name read in ``paths``, with the files that read it."""
    found: dict[str, set[str]] = {}
    for path in paths:
        text = path.read_text(encoding="utf-8")
        for name in READ.findall(text) + ITEM.findall(text):
            found.setdefault(name, set()).add(relative(path))
    return found


def compose_texts() -> dict[str, str]:
    files = [ROOT / "docker-compose.yml", *sorted((ROOT / "docker").rglob("*.sh"))]
    return {relative(path): path.read_text(encoding="utf-8") for path in files}


def compose_refs() -> dict[str, set[str]]:
    """Each ``${NAME}`` in the compose file and the database's first-start scripts, with the
    defaults given there (``${NAME:-default}``)."""
    found: dict[str, set[str]] = {}
    for text in compose_texts().values():
        for name, default in COMPOSE_REF.findall(text):
            found.setdefault(name, set()).add(default)
    return found


MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")
APP_READS = reads(application_sources())
TEST_READS = reads(ROOT / path for path in TEST_SOURCES)
MAKE_VARIABLES = set(re.findall(rf"^{NAME} \?=", MAKEFILE, re.MULTILINE))
COMPOSE_REFS = compose_refs()
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_the_readme_table_is_generated_from_the_catalog():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_with_table(readme) == readme, "README.md's table is out of date: run make settings-docs"


def test_env_example_is_generated_from_the_catalog():
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert text == env_example(), ".env.example is out of date: run make settings-docs"
    # Every line stays commented out: the settings read .env, and a copy must change nothing.
    assert all(not line or line.startswith("#") for line in text.splitlines())


def test_every_variable_is_declared_once():
    names = [setting.name for setting in SETTINGS]
    assert len(names) == len(set(names))
    assert all(setting.help.strip() and setting.default.strip() for setting in SETTINGS)


def test_every_variable_the_code_reads_is_declared():
    read = (set(APP_READS) | set(TEST_READS)) - NOT_CONFIGURATION
    missing = {name: sorted(APP_READS.get(name, set()) | TEST_READS.get(name, set())) for name in read - set(BY_NAME)}
    assert not missing, f"declare these in lvv/settings_catalog.py: {missing}"


def test_every_compose_variable_is_declared():
    missing = set(COMPOSE_REFS) - set(BY_NAME)
    assert not missing, f"declare these in lvv/settings_catalog.py (Scope.COMPOSE): {sorted(missing)}"


def where_read(name: str) -> Scope | None:
    if name in APP_READS:
        return Scope.APP
    if name in TEST_READS or name in MAKE_VARIABLES:
        return Scope.TESTS
    if name in COMPOSE_REFS:
        return Scope.COMPOSE
    return None


def test_every_declared_variable_is_read_in_its_scope():
    wrong = {setting.name: (setting.scope, where_read(setting.name)) for setting in SETTINGS}
    wrong = {name: scopes for name, scopes in wrong.items() if scopes[0] is not scopes[1]}
    assert not wrong, f"(declared scope, where it is read; None: nowhere): {wrong}"


def code_span(text: str) -> str | None:
    match = re.match(r"`([^`]*)`", text)
    return match[1] if match else None


def test_documented_defaults_are_the_code_defaults():
    sources = [*application_sources(), *(ROOT / path for path in TEST_SOURCES)]
    checked = 0
    for path in sources:
        for name, literal in READ_WITH_DEFAULT.findall(path.read_text(encoding="utf-8")):
            value = literal.strip('"').lower() if literal in ("True", "False") else literal.strip('"')
            if not value or name not in BY_NAME:
                continue
            assert code_span(BY_NAME[name].default) == value, (name, relative(path), value)
            checked += 1
    assert checked >= 20
    assert code_span(BY_NAME["DOCUMENT_MAX_BYTES"].default) == str(DOCUMENT_MAX_BYTES_DEFAULT)
    for name in MAKE_VARIABLES & set(BY_NAME):
        value = re.search(rf"^{name} \?= (.*)$", MAKEFILE, re.MULTILINE)[1]
        assert code_span(BY_NAME[name].default) == value, name


def test_compose_only_defaults_are_the_compose_defaults():
    for setting in SETTINGS:
        if setting.scope is Scope.COMPOSE:
            assert COMPOSE_REFS[setting.name] == {code_span(setting.default)}, setting.name


def test_what_compose_gives_the_application_is_documented():
    """``compose`` names the secret behind a VAR_FILE, says "always" for a value the .env
    cannot change, and gives Compose's own default where it differs from the application's."""
    environment = COMPOSE["x-app-environment"]
    described = set()
    for key, value in environment.items():
        name = key.removesuffix("_FILE")
        setting = BY_NAME[name]
        compose = setting.compose or ""
        if key.endswith("_FILE"):
            assert f"`{Path(value).name}`" in compose, name
        elif match := re.fullmatch(rf"\$\{{{name}:-(.*)\}}", value):
            default = match[1]
            if compose:
                assert compose == f"`{default}`", name
            else:
                # The application's default (Compose's DEBUG is off: the one without DEBUG).
                assert f"`{default}`" in setting.default or (not default and setting.default == "empty"), name
        else:
            assert compose.startswith(f"always `{value}`"), name
        described.add(name)
    stale = {setting.name for setting in SETTINGS if setting.compose} - described
    assert not stale, f"Compose does not set these: {sorted(stale)}"


def run_script(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "settings_docs.py"), "--root", str(root), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_script_reports_drift_and_rewrites(tmp_path):
    for name in ("README.md", ".env.example"):
        shutil.copy(ROOT / name, tmp_path / name)
    assert run_script(tmp_path, "--check").returncode == 0

    example = tmp_path / ".env.example"
    example.write_text(example.read_text(encoding="utf-8").replace("# LOG_LEVEL=INFO\n", ""), encoding="utf-8")
    readme = tmp_path / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8").replace("| `LOG_LEVEL` |", "| `LOGLEVEL` |"), encoding="utf-8")
    result = run_script(tmp_path, "--check")
    assert result.returncode == 1
    assert "+# LOG_LEVEL=INFO" in result.stdout and "-| `LOGLEVEL` |" in result.stdout

    assert run_script(tmp_path).returncode == 0
    assert example.read_text(encoding="utf-8") == (ROOT / ".env.example").read_text(encoding="utf-8")
    assert readme.read_text(encoding="utf-8") == (ROOT / "README.md").read_text(encoding="utf-8")
    assert run_script(tmp_path, "--check").returncode == 0
