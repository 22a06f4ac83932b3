#!/usr/bin/env python3
"""The pre-commit hook of .pre-commit-hooks.yaml and the GitHub Actions
workflow of docs/cli.md, run as they are written, with `bsc` resolved to the
binary under test.

Usage: python3 tests/hook_check.py target/debug/bsc
Run from the repository root. Exit 0 when every check passes."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BSC = os.path.abspath(sys.argv[1])
failures = 0


def fail(msg):
    global failures
    failures += 1
    print(f"FAIL: {msg}")


def shell(cmd, cwd):
    """Runs a command line with `bsc` on PATH as the binary under test."""
    bindir = tempfile.mkdtemp()
    os.symlink(BSC, os.path.join(bindir, "bsc"))
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ["PATH"], NO_COLOR="1")
    p = subprocess.run(["bash", "-c", cmd], cwd=cwd, env=env, capture_output=True, text=True)
    shutil.rmtree(bindir)
    return p


# --- the pre-commit hook -------------------------------------------------
with open(os.path.join(ROOT, ".pre-commit-hooks.yaml"), encoding="utf-8") as f:
    hooks = yaml.safe_load(f)
hook = next((h for h in hooks if h.get("id") == "bsc-validate"), None)
if hook is None:
    fail("no hook with id bsc-validate")
    sys.exit(1)
if hook.get("language") != "rust":
    fail(f"language {hook.get('language')!r}")
files = re.compile(hook["files"])
for name, want in [("scorecards/crm.toml", True), ("README.md", False), ("a.toml.bak", False)]:
    if bool(files.search(name)) != want:
        fail(f"files pattern {hook['files']!r} on {name}: expected {want}")
entry = hook["entry"]
if not entry.startswith("bsc "):
    fail(f"entry {entry!r} does not run bsc")

# pre-commit runs the entry from the repository root without file names.
p = shell(entry, os.path.join(ROOT, "scorecards"))
if p.returncode != 0:
    fail(f"hook on scorecards/: exit {p.returncode}\n{p.stderr}")
p = shell(entry, ROOT)
if p.returncode != 0:
    fail(f"hook in the repository root: exit {p.returncode}\n{p.stderr[-2000:]}")
with tempfile.TemporaryDirectory() as tmp:
    # A broken scorecard fails the commit, with the file named.
    shutil.copy(os.path.join(ROOT, "scorecards/crm.toml"), os.path.join(tmp, "card.toml"))
    with open(os.path.join(tmp, "card.toml"), "a", encoding="utf-8") as f:
        f.write("\n[[perspectives]]\nid = \"financial\"\nwieght = 1\n")
    p = shell(entry, tmp)
    if p.returncode != 1 or "card.toml" not in p.stderr:
        fail(f"hook on a broken card: exit {p.returncode}\n{p.stderr}")

# --- the GitHub Actions workflow of docs/cli.md -------------------------------
with open(os.path.join(ROOT, "docs", "cli.md"), encoding="utf-8") as f:
    readme = f.read()
blocks = [b for b in re.findall(r"```yaml\n(.*?)```", readme, re.S) if "runs-on:" in b]
if len(blocks) != 1:
    fail(f"{len(blocks)} GitHub Actions workflows in docs/cli.md, expected 1")
    sys.exit(1)
workflow = yaml.safe_load(blocks[0])
steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
runs = [s["run"] for s in steps if "run" in s and s["run"].lstrip().startswith("bsc ")]
if not runs:
    fail("the workflow runs no bsc command")
with tempfile.TemporaryDirectory() as tmp:
    # The steps, in a checkout of this repository as the workflow has it:
    # its tracked files (and new ones not ignored), without target/.
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        src = os.path.join(ROOT, name)
        if os.path.isfile(src) and not os.path.islink(src):
            os.makedirs(os.path.dirname(os.path.join(tmp, name)), exist_ok=True)
            shutil.copy(src, os.path.join(tmp, name))
    for run in runs:
        p = shell(run, tmp)
        if p.returncode != 0:
            fail(f"workflow step `{run.strip()}`: exit {p.returncode}\n{p.stderr[-2000:]}")
    sarif = [s for s in steps if "upload-sarif" in s.get("uses", "")]
    for s in sarif:
        path = os.path.join(tmp, s["with"]["sarif_file"])
        if not os.path.isfile(path):
            fail(f"the SARIF upload names {s['with']['sarif_file']}, which no step wrote")

if failures:
    print(f"hook_check: {failures} failed")
    sys.exit(1)
print(f"hook_check: the pre-commit hook and {len(runs)} workflow steps pass")
