"""Project-wide rules that hold across packages: the import shim, light --help, the README/CI
contract."""

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("qgan", "circuits", "transpile", "benchmarks")
SHIMMED = {"torchvision", "pytorch_fid"}  # import these only through qgan/vision.py
SHIM = REPO / "qgan" / "vision.py"
README_TEST_COMMAND = "python3 -m venv .venv && .venv/bin/pip install -q -e '.[dev]' && "


def _imported_roots(path: Path) -> set[str]:
    """Top-level module names that `path` imports (absolute imports only)."""
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_torchvision_and_pytorch_fid_are_imported_only_through_the_shim():
    offenders = [
        f"{path.relative_to(REPO)}: {sorted(_imported_roots(path) & SHIMMED)}"
        for package in PACKAGES
        for path in sorted((REPO / package).rglob("*.py"))
        if path != SHIM and _imported_roots(path) & SHIMMED
    ]
    assert not offenders, "import these via `from qgan.vision import ...`:\n" + "\n".join(offenders)


def _readme_test_command() -> str:
    """The README's test command: the one line under Quick start that runs pytest."""
    lines = (REPO / "README.md").read_text().splitlines()
    commands = [line.strip() for line in lines if line.startswith(README_TEST_COMMAND)]
    tests = [c for c in commands if "-m pytest" in c]
    assert len(tests) == 1, f"expected one test command in README.md, found {tests}"
    return tests[0]


def test_ci_runs_exactly_the_readme_test_command():
    command = _readme_test_command()
    ci_lines = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()]
    assert command in ci_lines, (
        f".ci/run must contain the README's test command verbatim:\n{command}"
    )


# every command's --help, and the heavy stacks it may not load
COMMANDS = {
    "qgan.train": ("torch", "qiskit"),
    "qgan.sample": ("torch", "qiskit"),
    "qgan.evaluate": ("torch", "qiskit"),
    "qgan.augment": ("torch", "qiskit"),
    "qgan.convert": ("torch", "qiskit"),
    "qgan.hardware_infer": ("torch", "qiskit", "qiskit_ibm_runtime"),
}


def test_every_command_answers_help_without_its_heavy_stack():
    probe = (
        "import runpy, sys\n"
        "heavy = sys.argv[2:]\n"
        "sys.argv = [sys.argv[1], '--help']\n"
        "try:\n"
        "    runpy.run_module(sys.argv[0], run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(' '.join(m for m in heavy if m in sys.modules), file=sys.stderr)\n"
    )
    for name, heavy in COMMANDS.items():
        done = subprocess.run(
            [sys.executable, "-c", probe, name, *heavy], capture_output=True, text=True, cwd=REPO
        )
        assert done.returncode == 0 and "usage:" in done.stdout, (name, done.stderr)
        assert done.stderr.strip() == "", f"{name} --help loaded {done.stderr.strip()}"
