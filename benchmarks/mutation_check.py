"""A mutation check of the operation table and the runtimes: does the test suite notice one slip?

Each *mutant* is the project with exactly one slip in one of the target files: an arithmetic operator
swapped (+ and -, * and /), a comparison changed (< and <=, > and >=, == and !=), ``and`` and ``or``
swapped, a number changed (0 to 1, 1 to 0 or 2, any other x to x + 1), or the same inside the text of
a rule (the forward rules and partials of ``engine/rules/table.py``, the ``INLINE`` functions of
``engine/runtimes/python.py``). For each mutant the tests relevant to that file run (``-x``, so a
killed mutant stops at its first failure) in a copy of the checkout; a mutant is *killed* when they
fail, *survives* when they pass. Survivors are printed with their line, to be read: either a test is
missing, or the slip is equivalent (it changes no result, for example ``>`` for ``>=`` where the two
sides are never equal).

Not part of CI: one mutant costs one run of the selected tests (seconds to a minute with numba).

    python -m benchmarks.mutation_check [--files engine/runtimes/python.py ...] [--limit N]
                                        [--timeout 300] [--tests tests/test_x.py ...]
                                        [--match "line 57:" ...]
"""

import argparse
import ast
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tokenize

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# the tests that exercise each target file through the public paths, the quickest first (a killed
# mutant stops at its first failure)
TESTS = {
    "engine/runtimes/python.py": ["tests/test_engine_ops.py", "tests/test_chain_rule_edges.py",
                                  "tests/test_elementary.py", "tests/test_runtime_edges.py",
                                  "tests/test_higher.py", "tests/test_hvp.py"],
    "engine/runtimes/numpy.py": ["tests/test_runtime_edges.py", "tests/test_compiler.py",
                                 "tests/test_compiler_inputs.py"],
    "engine/runtimes/numba.py": ["tests/test_native.py", "tests/test_runtime_edges.py"],
    "engine/rules/table.py": ["tests/test_engine_ops.py", "tests/test_chain_rule_edges.py",
                              "tests/test_elementary.py", "tests/test_runtime_edges.py",
                              "tests/test_higher.py", "tests/test_copy_pickle.py"],
}

OPERATORS = {"+": "-", "-": "+", "*": "/", "/": "*", "<": "<=", "<=": "<", ">": ">=", ">=": ">",
             "==": "!=", "!=": "=="}
WORDS = {"and": "or", "or": "and"}


def _number_slip(text):
    try:
        value = float(text)
    except ValueError:
        return None
    if value == 0.0:
        new = 1.0
    elif value == 1.0:
        new = 0.0 if "." in text else 2
    else:
        new = value + 1.0
    return repr(new) if "." in text or "e" in text.lower() else str(int(new))


def _slips_in_code(text, offset=0, line_of=None):
    """[(start, end, replacement, description)] for the tokens of Python source ``text``."""
    slips = []
    tokens = tokenize.generate_tokens(io.StringIO(text).readline)
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    try:
        for tok in tokens:
            if tok.type == tokenize.OP and tok.string in OPERATORS:
                new = OPERATORS[tok.string]
            elif tok.type == tokenize.NAME and tok.string in WORDS:
                new = WORDS[tok.string]
            elif tok.type == tokenize.NUMBER:
                new = _number_slip(tok.string)
                if new is None:
                    continue
            else:
                continue
            begin = starts[tok.start[0] - 1] + tok.start[1]
            end = starts[tok.end[0] - 1] + tok.end[1]
            if tok.string in ("*", "/") and text[begin:end + 1] in ("**", "//"):
                continue
            line = line_of(offset + begin) if line_of else tok.start[0]
            slips.append((offset + begin, offset + end, new, f"line {line}: {tok.string!r} -> {new!r}"))
    except (tokenize.TokenError, IndentationError):
        pass
    return slips


def _rule_strings(tree, path):
    """The string constants that hold rules: the rows of the table, the INLINE functions."""
    found = []
    for node in ast.walk(tree):
        if path.endswith("table.py") and isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Op":
            for arg in node.args[3:5]:
                for c in ast.walk(arg):
                    if isinstance(c, ast.Constant) and isinstance(c.value, str):
                        found.append(c)
        is_inline = isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "INLINE"
        if path.endswith("python.py") and is_inline:
            found += [v for v in node.value.values if isinstance(v, ast.Constant)]
    return found


def mutants(path):
    """Every slip of the file ``path`` (relative to the checkout), as (new text, description)."""
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        text = f.read()
    tree = ast.parse(text)
    line_starts = [0]
    for line in text.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(line))

    def line_of(pos):
        import bisect
        return bisect.bisect_right(line_starts, pos)

    skip = set()  # docstrings: no slip there
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(
                getattr(body[0], "value", None), ast.Constant) and isinstance(body[0].value.value, str):
            skip.add((body[0].lineno, body[0].end_lineno))
    slips = [s for s in _slips_in_code(text)
             if not any(a <= line_of(s[0]) <= b for a, b in skip)]
    lines = text.splitlines(keepends=True)
    for node in _rule_strings(tree, path):  # inside a rule's text
        # ast's col_offset counts UTF-8 bytes (the table's lines hold "σ", "√"); text counts characters
        column = len(lines[node.lineno - 1].encode()[:node.col_offset].decode())
        start = line_starts[node.lineno - 1] + column + 1  # after the opening quote
        assert text[start:start + len(node.value)] == node.value, (path, node.lineno)
        slips += _slips_in_code(node.value, start, line_of)
    for begin, end, new, what in slips:
        yield text[:begin] + new + text[end:], f"{path} {what}"


def run(files, tests_override, timeout, limit, match=None):
    work = tempfile.mkdtemp(prefix="seebackprop-mutants-")
    try:
        for name in ("engine", "nn", "tests", "demos", "benchmarks", "pyproject.toml"):
            source = os.path.join(ROOT, name)
            if os.path.isdir(source):
                shutil.copytree(source, os.path.join(work, name), ignore=shutil.ignore_patterns("__pycache__"))
            elif os.path.exists(source):
                shutil.copy(source, work)
        env = dict(os.environ, PYTHONPATH=work, SEEBACKPROP_CACHE_DIR=os.path.join(work, ".native"),
                   PYTHONDONTWRITEBYTECODE="1")
        total = killed = 0
        survivors = []
        started = time.time()
        for path in files:
            target = os.path.join(work, path)
            with open(target, encoding="utf-8") as f:
                original = f.read()
            tests = tests_override or TESTS[path]
            try:
                for text, what in mutants(path):
                    if limit and total >= limit:
                        break
                    if match and not any(m in what for m in match):
                        continue
                    with open(target, "w", encoding="utf-8") as f:
                        f.write(text)
                    total += 1
                    try:
                        done = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                                               *tests], cwd=work, env=env, capture_output=True, timeout=timeout)
                        dead = done.returncode != 0
                    except subprocess.TimeoutExpired:
                        dead = True  # an endless loop is noticed too
                    killed += dead
                    if not dead:
                        survivors.append(what)
                    print(f"[{total}] {'killed ' if dead else 'SURVIVED'} {what}", flush=True)
            finally:
                with open(target, "w", encoding="utf-8") as f:
                    f.write(original)
        minutes = (time.time() - started) / 60
        print(f"\n{killed} of {total} mutants killed ({minutes:.1f} min); {len(survivors)} survived:")
        for what in survivors:
            print("  " + what)
        return killed, total, survivors
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", nargs="+", default=sorted(TESTS), choices=sorted(TESTS))
    parser.add_argument("--tests", nargs="+", help="run these tests for every mutant instead")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per mutant")
    parser.add_argument("--limit", type=int, default=0, help="stop after this many mutants")
    parser.add_argument("--match", nargs="+", help="only the mutants whose description holds one of these")
    parser.add_argument("--list", action="store_true", help="list the mutants without running them")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(what for path in args.files for _, what in mutants(path)))
        return 0
    run(args.files, args.tests, args.timeout, args.limit, args.match)
    return 0


if __name__ == "__main__":
    sys.exit(main())
