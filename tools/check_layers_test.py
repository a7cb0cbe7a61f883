#!/usr/bin/env python3
"""Tests check_layers.py itself: a clean tree passes, planted violations fail."""
import pathlib
import shutil
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
CHECKER = HERE / "check_layers.py"


def run(root):
    r = subprocess.run([sys.executable, str(CHECKER), str(root)], capture_output=True, text=True)
    return r.returncode, r.stdout


def copy_tree():
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="weft-layers-"))
    shutil.copytree(ROOT / "src", tmp / "src")
    shutil.copytree(ROOT / "cmake", tmp / "cmake")
    return tmp


def plant(root, rel, text):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def expect(cond, what):
    if not cond:
        print(f"FAIL: {what}")
        sys.exit(1)
    print(f"ok: {what}")


def main():
    rc, out = run(ROOT)
    expect(rc == 0, f"the real tree is clean ({out.strip().splitlines()[-1]})")

    cases = [
        # base may use nothing: an upward include
        ("src/base/planted.hpp", '#include "crypto/identity.hpp"\n', "base may not include crypto"),
        # a core including osdep (the rule ZeroTier let erode)
        ("src/peer/planted.cpp", '#include <vector>\n#include "osdep/files.hpp"\n',
         "peer may not include osdep"),
        # libsodium outside crypto
        ("src/osdep/planted.cpp", "#include <sodium.h>\n", "only crypto may include sodium"),
        # the CLI may not reach into the runtime
        ("src/cli/planted.cpp", '#  include "runtime/runtime.hpp"\n', "cli may not include runtime"),
        # a folder that is no layer
        ("src/misc/planted.cpp", "int x;\n", "unknown folder under src/"),
    ]
    for rel, text, what in cases:
        tmp = copy_tree()
        try:
            plant(tmp, rel, text)
            rc, out = run(tmp)
            expect(rc == 1 and "planted" in out, f"planted violation caught: {what}")
        finally:
            shutil.rmtree(tmp)

    # An allowed include (transitively) passes.
    tmp = copy_tree()
    try:
        plant(tmp, "src/peer/planted.cpp", '#include "base/result.hpp"\n#include "crypto/x.hpp"\n')
        rc, _ = run(tmp)
        expect(rc == 0, "allowed includes pass")
    finally:
        shutil.rmtree(tmp)
    print("check_layers_test: all passed")


if __name__ == "__main__":
    main()
