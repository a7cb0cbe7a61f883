#!/usr/bin/env python3
"""Every example in the docs is checked: extracts the fenced code blocks of
Markdown files and compiles or runs them. The convention is docs/README.md's
("Examples in the docs are tested"); in short, each fence carries a language and,
where it is code, an HTML comment on the line before it:

  <!-- doc-test: program [NAME] -->  c/cpp: a whole program, compiled and linked
                                     against libweft as it stands; with NAME it is
                                     also a file of the document's run scripts
  <!-- doc-test: fragment -->        c/cpp: statements; #include lines stay at file
                                     scope, the rest becomes a function's body;
                                     compiled and linked
  <!-- doc-test: run NAME -->        sh: the blocks of one NAME, in document order,
                                     are one bash script that a test runs
  <!-- doc-test: file NAME -->       sh, cmake: written as NAME next to the
                                     document's run scripts, which must use it
  <!-- doc-test: skip REASON -->     sh, cmake: shown, not run, for REASON

text, json and ini blocks are shown only and need no marker. Anything else (a
fence without a language, a c/cpp block without program/fragment, an sh block
without run/skip, an unknown language or marker) is an error.

  doc_examples.py check --cc CC --cxx CXX --include DIR --lib LIBWEFT [--flags F] FILE|DIR...
      lists every block with its rule, compiles the programs and fragments
  doc_examples.py run --name NAME --build DIR --prefix DIR [--expect LINE] FILE
      runs the run blocks NAME of FILE (see run_script)
"""
import argparse
import concurrent.futures
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time

FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")
MARKER = re.compile(r"^\s*<!--\s*doc-test:\s*(\S+)\s*(.*?)\s*-->\s*$")
SHOWN = {"text", "json", "ini"}
COMPILED = {"c", "cpp"}
SHELL = {"sh"}
# Which markers each kind of block may carry.
ALLOWED = {"c": {"program", "fragment"}, "cpp": {"program", "fragment"},
           "sh": {"run", "skip", "file"}, "cmake": {"skip", "file"}}


class Block:
    def __init__(self, path, line, lang, marker, arg, text):
        self.path, self.line, self.lang = path, line, lang
        self.marker, self.arg, self.text = marker, arg, text

    def where(self):
        return f"{self.path}:{self.line}"


def parse(path):
    """The fenced blocks of a Markdown file, and the errors of the convention."""
    blocks, errors = [], []
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, info = m.group(1), m.group(2), m.group(3).strip()
        start = i + 1  # 1-based line of the opening fence
        body = []
        i += 1
        while i < len(lines):
            c = FENCE.match(lines[i])
            if c and c.group(2)[0] == fence[0] and len(c.group(2)) >= len(fence) and not c.group(3).strip():
                break
            line = lines[i]
            body.append(line[len(indent):] if line.startswith(indent) else line.lstrip())
            i += 1
        else:
            errors.append(f"{path}:{start}: the fence is never closed")
        i += 1
        # The marker: the nearest non-blank line above the fence.
        j = start - 2
        while j >= 0 and not lines[j].strip():
            j -= 1
        mk = MARKER.match(lines[j]) if j >= 0 else None
        marker, arg = (mk.group(1), mk.group(2)) if mk else (None, "")
        lang = info.split()[0] if info else ""
        b = Block(path, start, lang, marker, arg, "\n".join(body) + "\n")
        blocks.append(b)
        errors += check_rule(b)
    return blocks, errors


def check_rule(b):
    w = b.where()
    if not b.lang:
        return [f"{w}: a fence without a language (use text for output and listings)"]
    if b.lang in SHOWN:
        return [] if b.marker is None else [f"{w}: a {b.lang} block is not tested: remove the doc-test marker"]
    if b.lang not in ALLOWED:
        return [f"{w}: language {b.lang!r} has no rule (c, cpp, sh, cmake, text, json, ini)"]
    if b.marker is None:
        want = " or ".join(sorted(ALLOWED[b.lang]))
        return [f"{w}: a {b.lang} block needs a <!-- doc-test: {want} --> line before it"]
    if b.marker not in ALLOWED[b.lang]:
        return [f"{w}: doc-test: {b.marker} is not a rule for {b.lang} blocks"]
    if b.marker in ("run", "file", "skip") and not b.arg:
        return [f"{w}: doc-test: {b.marker} needs {'a reason' if b.marker == 'skip' else 'a name'}"]
    if b.marker == "fragment" and b.arg:
        return [f"{w}: doc-test: fragment takes nothing after it"]
    return []


def source_of(b):
    """The translation unit a c/cpp block is compiled as; #line keeps the
    compiler's messages pointing into the Markdown file."""
    here = f'#line {b.line + 1} "{b.path}"\n'
    if b.marker == "program":
        return here + b.text
    lines = b.text.split("\n")
    includes = [l for l in lines if l.lstrip().startswith("#include")]
    body = ["" if l.lstrip().startswith("#include") else l for l in lines]
    return ("\n".join(includes) + "\nvoid weft_doc_fragment(void);\nvoid weft_doc_fragment(void) {\n"
            + here + "\n".join(body) + "\n}\nint main(void) { return 0; }\n")


def compile_block(b, args, workdir, index):
    ext = ".c" if b.lang == "c" else ".cpp"
    src = os.path.join(workdir, f"block{index}{ext}")
    with open(src, "w", encoding="utf-8") as f:
        f.write(source_of(b))
    compiler = args.cc if b.lang == "c" else args.cxx
    std = "-std=c11" if b.lang == "c" else "-std=c++20"
    warn = ["-Wall", "-Wextra", "-Werror"]
    if b.marker == "fragment":  # a fragment names things it does not go on to use
        warn += ["-Wno-unused-variable", "-Wno-unused-but-set-variable"]
    libdir = os.path.dirname(os.path.abspath(args.lib))
    cmd = ([compiler, std, *warn, *shlex.split(args.flags), "-I", args.include, src,
            "-o", src + ".out", args.lib, f"-Wl,-rpath,{libdir}"])
    t0 = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True)
    took = time.monotonic() - t0
    if r.returncode != 0:
        return False, f"FAIL {b.where()} ({b.lang} {b.marker}): {' '.join(cmd)}\n{r.stdout}{r.stderr}"
    return True, f"ok   {b.where()} ({b.lang} {b.marker}, {took:.1f} s)"


def cmd_check(args):
    blocks, errors = [], []
    paths = []
    for p in args.files:  # a directory stands for its *.md files, as they are now
        paths += sorted(os.path.join(p, f) for f in os.listdir(p) if f.endswith(".md")) if os.path.isdir(p) else [p]
    for path in paths:
        bs, es = parse(path)
        blocks += bs
        errors += es
    # A named file must be used by a run script of its document.
    for b in blocks:
        if b.marker == "file" or (b.marker == "program" and b.arg):
            runs = "".join(x.text for x in blocks if x.path == b.path and x.marker == "run")
            if b.arg not in runs:
                errors.append(f"{b.where()}: {b.arg} is not used by any run block of {b.path}")
    counts = {}
    for b in blocks:
        rule = b.marker or "shown"
        counts[rule] = counts.get(rule, 0) + 1
        if b.marker == "skip":
            print(f"skip {b.where()} ({b.lang}): {b.arg}")
        elif b.marker in ("run", "file"):
            print(f"run  {b.where()} ({b.lang}): " + (f"by the test docs.run.{b.arg}" if b.marker == "run"
                                                       else f"{b.arg}, for the run blocks of {b.path}"))
    compiled = [b for b in blocks if b.lang in COMPILED and b.marker in ("program", "fragment")]
    with tempfile.TemporaryDirectory(prefix="weft-doc-") as work:
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(lambda ib: compile_block(ib[1], args, work, ib[0]), enumerate(compiled)))
    for ok, line in results:
        print(line)
        if not ok:
            errors.append(line.split("\n")[0])
    print("blocks: " + ", ".join(f"{n} {rule}" for rule, n in sorted(counts.items())))
    for e in errors:
        print("error: " + e, file=sys.stderr)
    return 1 if errors else 0


def run_script(path, name, blocks):
    """The bash script of the run blocks `name`: a prelude that makes a scratch
    directory the working directory, then the blocks in document order. What the
    blocks start in the background is stopped at the end (SIGTERM by pid)."""
    runs = [b for b in blocks if b.marker == "run" and b.arg == name]
    if not runs:
        raise SystemExit(f"{path}: no <!-- doc-test: run {name} --> block")
    parts = ["set -euo pipefail", "set -x" if os.environ.get("DOC_TEST_TRACE") else ""]
    for b in runs:
        parts.append(f"# {b.where()}")
        parts.append(b.text)
    return "\n".join(parts)


def cmd_run(args):
    blocks, errors = parse(args.file)
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    script = run_script(args.file, args.name, blocks)
    work = tempfile.mkdtemp(prefix=f"weft-doc-{args.name}-")
    for b in blocks:
        if b.marker == "file" or (b.marker == "program" and b.arg):
            with open(os.path.join(work, b.arg), "w", encoding="utf-8") as f:
                f.write(b.text)
    build = os.path.abspath(args.build)
    prefix = os.path.abspath(args.prefix)
    env = dict(os.environ)
    for v in ("WEFT_STATE", "WEFT_PRELOAD", "WEFT_API", "WEFT_TOKEN_FILE", "WEFT_NETWORKS", "WEFT_PREFIXES"):
        env.pop(v, None)
    # What the skipped set-up blocks tell a reader to do: everything installed
    # in `prefix` (by the test package.install), its programs first on PATH.
    env["PATH"] = f"{prefix}/bin:{env.get('PATH', '/usr/bin:/bin')}"
    env["PKG_CONFIG_PATH"] = f"{prefix}/lib/pkgconfig"
    env["CMAKE_PREFIX_PATH"] = prefix
    env["LD_LIBRARY_PATH"] = f"{prefix}/lib"
    script_path = os.path.join(work, f"{args.name}.sh")
    # Background jobs are stopped by pid when the script ends, however it ends.
    with open(script_path, "w", encoding="utf-8") as f:
        f.write("#!/usr/bin/env bash\n"
                "doc_test_stop() { local rc=$? p; for p in $(jobs -p); do kill -TERM \"$p\" 2>/dev/null || true; done;"
                " for p in $(jobs -p); do wait \"$p\" 2>/dev/null || true; done; exit $rc; }\n"
                "trap doc_test_stop EXIT\n" + script + "\n")
    print(f"docs: running {args.file} blocks '{args.name}' in {work}", flush=True)
    t0 = time.monotonic()
    # A session of its own: if the script overruns, SIGTERM goes to its whole
    # process group (the script and what it started), not only to bash.
    proc = subprocess.Popen(["bash", script_path], cwd=work, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=args.timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            out, _ = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
        out += f"\ndocs: stopped after {args.timeout} s\n"
    print(out, end="")
    print(f"docs: exit {proc.returncode} after {time.monotonic() - t0:.1f} s")
    ok = proc.returncode == 0
    if ok and args.expect and args.expect not in out.split("\n"):
        print(f"docs: the output has no line {args.expect!r}", file=sys.stderr)
        ok = False
    if ok:
        subprocess.run(["rm", "-rf", work])
    else:
        print(f"docs: kept {work} for a look", file=sys.stderr)
    return 0 if ok else 1


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check")
    c.add_argument("--cc", required=True)
    c.add_argument("--cxx", required=True)
    c.add_argument("--include", required=True)
    c.add_argument("--lib", required=True)
    c.add_argument("--flags", default="")
    c.add_argument("files", nargs="+")
    r = sub.add_parser("run")
    r.add_argument("--name", required=True)
    r.add_argument("--build", required=True)
    r.add_argument("--prefix", required=True)
    r.add_argument("--expect", default="")
    r.add_argument("--timeout", type=int, default=240)
    r.add_argument("file")
    args = p.parse_args()
    return cmd_check(args) if args.cmd == "check" else cmd_run(args)


if __name__ == "__main__":
    sys.exit(main())
