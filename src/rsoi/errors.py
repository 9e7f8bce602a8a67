"""Input errors that name file, line, column and field, and say how to fix them."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input."""

    file: str
    line: int | None
    column: int | None
    field: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        field = self.field if len(self.field) <= 120 else self.field[:117] + "..."
        text = f"{where}: {field or '<document>'}: {self.message}"
        if self.hint:
            text += f"\n    fix: {self.hint}"
        return text

    @classmethod
    def about(cls, file: str | Path, field: str, message: str, fix: str = "") -> InputError:
        """Bad input in `file` as a whole (a path, or the option it came from; no line):
        ``raise Problem.about("--k", "--k", "k must be at least 0", "use --k 1")``."""
        return InputError([cls(str(file), None, None, field, message, fix)])


class InputError(Exception):
    """Bad input: reported with exit code 2, never as a traceback."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self):  # survives pickling (Dask workers raise it in the client)
        return (type(self), (self.problems,))


class InfeasibleError(Exception):
    """Hard constraints conflict (exit code 3)."""

    def __init__(self, message: str, conflicting: list[str]):
        self.conflicting = conflicting
        super().__init__(message)

    def __reduce__(self):
        return (type(self), (str(self), self.conflicting))


class SolverError(Exception):
    """The solver stopped without a usable solution (exit code 4)."""


class CheckError(Exception):
    """The independent solution check found violations (an internal error: exit code 1)."""

    def __init__(self, violations: Iterable[str], folder: str = ""):
        self.violations = list(violations)
        self.folder = folder
        head = f"{len(self.violations)} violation(s)" + (f" in {folder}" if folder else "")
        super().__init__(head + ":\n" + "\n".join(f"  - {v}" for v in self.violations[:50]))


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """A 'did you mean' hint, or an empty string."""
    options = sorted({str(c) for c in candidates})
    close = difflib.get_close_matches(str(word), options, n=3, cutoff=0.6)
    if close:
        return "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
    if options and len(options) <= 12:
        return "expected one of: " + ", ".join(options)
    return ""


def dotted(path: tuple) -> str:
    """('routes', 3, 'capacity') -> 'routes[3].capacity'."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


_ENVIRONMENT_FIXES = {
    "ENOSPC": "free space on that file system (or choose an --out on another one), then re-run",
    "EDQUOT": "free space within your disk quota (or choose an --out elsewhere), then re-run",
    "EROFS": "the file system is read-only: choose an --out on a writable one",
    "EACCES": "no permission: choose an --out in a folder you may write, or fix its permissions",
    "EPERM": "not permitted: choose an --out in a folder you may write, or fix its permissions",
    "ENAMETOOLONG": "the name is too long for the file system: choose a shorter --out",
    "EISDIR": "a folder is in the way of a file rsoi writes: move it away, then re-run",
    "ENOTDIR": "a file is in the way of a folder rsoi needs: move it away, then re-run",
    "EEXIST": "something is in the way: move it away, or choose another --out",
    "ELOOP": "a symbolic link is in the way: rsoi never writes through links",
    "EMFILE": "too many open files: raise `ulimit -n`, then re-run",
    "EIO": "the device reported an I/O error: check the disk, then re-run",
}


def environment_error(exc: OSError) -> InputError:
    """An OSError of the file system (disk full, read-only, name too long, permissions) as
    an exit-2 input error naming the path and the fix: the environment, not rsoi, failed."""
    import errno as errno_names

    code = errno_names.errorcode.get(exc.errno or 0, "")
    # a rename names both paths: the target is the one in the way
    path = next((p for p in (exc.filename2, exc.filename) if p is not None), "(file system)")
    reason = exc.strerror or str(exc) or type(exc).__name__
    fix = _ENVIRONMENT_FIXES.get(code, "check the path and the file system, then re-run")
    return Problem.about(str(path), "file system", reason, fix)
