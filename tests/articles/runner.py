"""Run the commands a README or article shows, and compare what they print with what it shows.

An article is a sequence of fenced blocks. A ```bash block is a step; a ```text (or
```console) block right after it is the output the article says the step prints:

    steps = article_steps(ARTICLES / "kubernetes-for-flask" / "README.md")
    run = run_steps(steps, env={"KUBECONFIG": str(kubeconfig)})
    for step, out in zip(steps, run.outputs):
        if step.shown is not None:
            assert_shown(step.shown, out, run.ports)

All steps run in ONE bash (`-euo pipefail`), so a variable or a background process started
by one step is there for the next. Each step's stdout and stderr (merged, as a terminal
shows them) are cut apart by marker lines the runner echoes between steps.

Loopback ports in the text (127.0.0.1:80xx, and `--port 80xx`) are moved to free ones before running, and
moved back in the output before comparing, so the shown output can name the ports a reader
uses. Steps a machine without a container engine cannot run are marked in the article
with an HTML comment right above the fence, which the reader does not see but the runner
does; the visible text must say so too, and the test lints what the step would use:

    <!-- runner: needs a container engine -->
    ```bash
    docker build ...
    ```

`article_steps` returns those steps with `needs` set; `run_steps` refuses to run them, so
a test has to choose explicitly between running and linting each one.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import signal
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.prometheus import free_port

REPO = Path(__file__).resolve().parents[2]
ARTICLES = REPO / "examples" / "articles"

_FENCE = re.compile(
    r"(?:^<!--\s*runner:\s*(?P<needs>[^>]*?)\s*-->\n)?^```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^```[ \t]*$",
    re.S | re.M,
)
_OUTPUT_LANGS = {"text", "console", "output"}
_PORT = re.compile(r"(?:127\.0\.0\.1:|--port[ =])(80\d\d)\b")
# Variables a developer's shell might carry that would change what the commands do.
_ISOLATED_PREFIXES = (
    "OTEL_",
    "FAULT_",
    "FLASKOPS_",
    "GUNICORN_",
    "PROMETHEUS_",
    "KUBECONFIG",
    "HELM_",
    "WEB_CONCURRENCY",
    "BIND",
    # make's own: under `make test` a `make` the article runs would print its directory.
    "MAKEFLAGS",
    "MAKELEVEL",
    "MFLAGS",
)


@dataclass(frozen=True)
class Step:
    """One ```bash block, the output block shown right after it (if any), and its mark."""

    command: str
    shown: str | None = None
    needs: str | None = None  # e.g. "needs a container engine": linted, not run
    line: int = 0  # 1-based line of the fence in the file, for messages


@dataclass
class Run:
    outputs: list[str]  # one per step run, stdout+stderr merged, ports moved back
    ports: dict[str, str] = field(default_factory=dict)  # shown port -> port used
    returncode: int = 0
    raw: str = ""


def section(text: str, heading: str) -> str:
    """The text under a `## heading` (any level), up to the next heading of that level or higher."""
    m = re.search(rf"^(#+) {re.escape(heading)}[ \t]*$", text, re.M)
    if m is None:
        raise AssertionError(f"no heading {heading!r}")
    level = len(m[1])
    rest = text[m.end() :]
    end = re.search(rf"^#{{1,{level}}} ", rest, re.M)
    return rest[: end.start()] if end else rest


def article_steps(path: Path, heading: str | None = None) -> list[Step]:
    """The bash steps of a whole file (or of one section), with the output block after each."""
    text = path.read_text()
    base_line = 0
    if heading is not None:
        body = section(text, heading)
        base_line = text.count("\n", 0, text.index(body))
        text = body
    steps: list[Step] = []
    last_end = -1
    for m in _FENCE.finditer(text):
        lang, body = m["lang"], m["body"]
        line = base_line + text.count("\n", 0, m.start("lang")) + 1
        if lang == "bash":
            steps.append(Step(command=body, needs=m["needs"] or None, line=line))
        elif lang in _OUTPUT_LANGS and steps and text[last_end : m.start()].strip() == "":
            prev = steps[-1]
            if prev.shown is None:
                steps[-1] = Step(prev.command, body, prev.needs, prev.line)
        last_end = m.end()
    if not steps:
        where = f"section {heading!r} of " if heading else ""
        raise AssertionError(f"no ```bash block in {where}{path}")
    return steps


def bash_blocks(path: Path, heading: str | None = None) -> str:
    """All bash blocks (of one section) joined into one script; for READMEs that show no output."""
    return "\n".join(s.command for s in article_steps(path, heading))


def move_ports(script: str, pattern: re.Pattern[str] = _PORT) -> tuple[str, dict[str, str]]:
    """The script with each distinct 80xx port of 127.0.0.1:80xx or `--port 80xx` replaced by a
    free one (the same one everywhere it occurs), and the map."""
    ports = {p: str(free_port()) for p in sorted(set(pattern.findall(script)))}

    def swap(m: re.Match[str]) -> str:
        return m[0].replace(m[1], ports[m[1]])

    return pattern.sub(swap, script), ports


def restore_ports(text: str, ports: Mapping[str, str]) -> str:
    """Undo move_ports in output, so it can be compared with the ports the article shows."""
    for shown, used in ports.items():
        text = re.sub(rf"(?<!\d){used}(?!\d)", shown, text)
    return text


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The caller's environment without what would change the commands' behaviour."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_ISOLATED_PREFIXES)}
    env.update(extra or {})
    return env


def run_script(
    script: str,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path = REPO,
    timeout: float = 120,
    check: bool = True,
    merge_stderr: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run a bash script (ports NOT moved; see run_steps) in a clean environment, in its own
    process group, killed entirely if it outlives `timeout`. Fails with both streams on error."""
    proc = subprocess.Popen(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        env=clean_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid)
        out, err = proc.communicate()
        raise AssertionError(
            f"commands did not finish within {timeout}s:\n{out}\n{err or ''}"
        ) from None
    finally:
        _kill_group(proc.pid)  # whatever the script left running in the background
    result = subprocess.CompletedProcess(proc.args, proc.returncode, out, err or "")
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\n--- stdout\n{out}\n--- stderr\n{err or ''}")
    return result


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def run_readme(script: str, *, timeout: float = 120) -> str:
    """The service READMEs' way: one script, ports moved, stdout returned (ports as used)."""
    moved, _ = move_ports(script)
    return run_script(moved, timeout=timeout).stdout


_MARK = "::flaskops-article-step {}::"


def run_steps(
    steps: Sequence[Step],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path = REPO,
    timeout: float = 300,
    setup: str = "",
) -> Run:
    """Run the steps in one bash, ports moved; one output per step, ports moved back.

    `setup` runs first and prints nothing the steps see (e.g. `cd "$(mktemp -d)"`).
    A step marked `needs` is refused: the test must lint it instead.
    """
    marked = [s for s in steps if s.needs]
    if marked:
        lines = ", ".join(f"line {s.line} ({s.needs})" for s in marked)
        raise AssertionError(f"steps marked as not runnable here were passed to run_steps: {lines}")
    parts = [setup] if setup else []
    for i, step in enumerate(steps):
        parts.append(f"printf '\\n{_MARK.format(i)}\\n'")
        parts.append(step.command)
    script, ports = move_ports("\n".join(parts))
    proc = run_script(script, env=env, cwd=cwd, timeout=timeout, merge_stderr=True)
    chunks = re.split(r"\n?::flaskops-article-step \d+::\n", proc.stdout)
    outputs = [restore_ports(c, ports) for c in chunks[1:]]
    assert len(outputs) == len(steps), f"expected {len(steps)} step outputs:\n{proc.stdout}"
    return Run(outputs=outputs, ports=ports, returncode=proc.returncode, raw=proc.stdout)


# Parts of output that differ from run to run. Replaced by a placeholder in both the shown
# and the actual text before comparing; anything else must match exactly.
VOLATILE: dict[str, str] = {
    "timestamp": r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d| ?[A-Z]{3})?",
    "clock": r"\b\d\d:\d\d:\d\d\b",
    "date": r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \S+ \d{4}\b",
    "trace-id": r"\b[0-9a-f]{32}\b",
    "span-id": r"\b[0-9a-f]{16}\b",
    "sha256": r"\bsha256:[0-9a-f]{64}\b",
    "pid": r"(?<=\[)\d+(?=\])",
    "duration": r"\b\d+(?:\.\d+)?(?:ns|µs|us|ms|s|m)\b",
    "age": r"\b(?:\d+d)?(?:\d+h)?(?:\d+m)?\d+s\b|\b\d+m\b",
}


def normalise(text: str, volatile: Iterable[str] = ("timestamp", "clock", "pid")) -> str:
    """Trailing spaces and the named volatile parts (keys of VOLATILE, or raw regexes) replaced."""
    for name in volatile:
        pattern = VOLATILE.get(name, name)
        text = re.sub(pattern, f"<{name if name in VOLATILE else 'volatile'}>", text)
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def assert_shown(
    shown: str,
    actual: str,
    *,
    volatile: Iterable[str] = ("timestamp", "clock", "pid"),
    where: str = "",
) -> None:
    """The shown output block equals what ran, up to the volatile parts; a diff otherwise."""
    names = tuple(volatile)
    want, got = normalise(shown, names), normalise(actual, names)
    if want != got:
        diff = "\n".join(
            difflib.unified_diff(
                want.splitlines(), got.splitlines(), "shown", "actual", lineterm=""
            )
        )
        raise AssertionError(
            f"output differs from the article{where}:\n{diff}\n--- actual\n{actual}"
        )


def assert_contains_shown(
    shown: str,
    actual: str,
    *,
    volatile: Iterable[str] = ("timestamp", "clock", "pid"),
    where: str = "",
) -> None:
    """Every line the article shows appears, in order, in what ran (for output the article
    abridges; the article says so next to the block)."""
    names = tuple(volatile)
    got = normalise(actual, names).splitlines()
    pos = 0
    for line in normalise(shown, names).splitlines():
        try:
            pos = got.index(line, pos) + 1
        except ValueError:
            raise AssertionError(
                f"shown line not printed (in order){where}: {line!r}\n--- actual\n{actual}"
            ) from None


def word_count(path: Path) -> int:
    """Words of prose and code an article holds (the plan's lengths are 1,100 to 4,000)."""
    text = re.sub(r"<!--.*?-->", "", path.read_text(), flags=re.S)
    return len(re.findall(r"\S+", text))


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m tests.articles.runner ARTICLE [HEADING] [--write]`: run the runnable steps
    and print each one's output, for writing the shown blocks (marked steps are listed, not
    run); --write puts each output into the article's shown block after its step."""
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    write = "--write" in args
    args = [a for a in args if a != "--write"]
    path = Path(args[0])
    steps = article_steps(path, args[1] if len(args) > 1 else None)
    runnable = [s for s in steps if not s.needs]
    env = {"KUBECONFIG": os.environ["KUBECONFIG"]} if "KUBECONFIG" in os.environ else {}
    run = run_steps(runnable, env=env, timeout=600)
    text = path.read_text()
    for step, out in zip(runnable, run.outputs, strict=True):
        print(f"===== line {step.line}: {step.command.splitlines()[0]}")
        print(out, end="" if out.endswith("\n") else "\n")
        if write and step.shown is not None:
            actual = out.strip("\n") + "\n"
            text = text.replace(
                f"{step.command}```\n\n```text\n{step.shown}```",
                f"{step.command}```\n\n```text\n{actual}```",
                1,
            )
    for step in steps:
        if step.needs:
            print(f"===== line {step.line}: not run ({step.needs})")
    if write:
        path.write_text(text)


if __name__ == "__main__":
    main()
