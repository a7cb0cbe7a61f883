#!/usr/bin/env python3
"""Checks doc_examples.py itself: each broken convention is reported, a correct
document passes, a program that does not compile fails the check and a fragment
is compiled as a function body.

  doc_examples_test.py --cc CC --cxx CXX --include DIR --lib LIBWEFT [--flags F]
"""
import argparse
import contextlib
import io
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import doc_examples  # noqa: E402

ARGS = None


def write(directory, name, text):
    path = os.path.join(directory, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def check(paths):
    """doc_examples' check on paths: (exit code, stdout, stderr)."""
    ns = argparse.Namespace(cc=ARGS.cc, cxx=ARGS.cxx, include=ARGS.include, lib=ARGS.lib,
                            flags=ARGS.flags, files=paths)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = doc_examples.cmd_check(ns)
    return rc, out.getvalue(), err.getvalue()


GOOD = """# A document

<!-- doc-test: fragment -->
```cpp
#include <weft/weft.hpp>
std::error_code ec;
weft::Address a = *weft::Address::parse("10.0.0.1", 80);
```

  <!-- doc-test: program -->
  ```c
  #include <weft/weft.h>
  int main(void) { return weft_close(-1) == -1 ? 0 : 1; }
  ```

<!-- doc-test: program app.c -->
```c
int main(void) { return 0; }
```

<!-- doc-test: run demo -->
```sh
cc app.c -o app && ./app
```

<!-- doc-test: skip needs root -->
```sh
sudo true
```

```text
output
```
"""


class Rules(unittest.TestCase):
    def errors(self, text):
        with tempfile.TemporaryDirectory() as d:
            _, errors = doc_examples.parse(write(d, "doc.md", text))
            return errors

    def test_a_correct_document_has_no_errors(self):
        self.assertEqual(self.errors(GOOD), [])

    def test_each_broken_rule_is_reported(self):
        cases = {
            "```\nx\n```\n": "without a language",
            "```cpp\nint x;\n```\n": "needs a <!-- doc-test: fragment or program -->",
            "```sh\nls\n```\n": "needs a <!-- doc-test: file or run or skip -->",
            "<!-- doc-test: run x -->\n```cpp\nint x;\n```\n": "not a rule for cpp",
            "<!-- doc-test: skip -->\n```sh\nls\n```\n": "needs a reason",
            "<!-- doc-test: run -->\n```sh\nls\n```\n": "needs a name",
            "```python\nprint()\n```\n": "has no rule",
            "<!-- doc-test: fragment -->\n```text\nx\n```\n": "remove the doc-test marker",
            "```cpp\nint x;\n": "never closed",
        }
        for text, want in cases.items():
            with self.subTest(want=want):
                errors = self.errors(text)
                self.assertTrue(any(want in e for e in errors), errors)

    def test_a_named_file_must_be_used(self):
        with tempfile.TemporaryDirectory() as d:
            path = write(d, "doc.md", "<!-- doc-test: file unused.txt -->\n```sh\nls\n```\n")
            rc, _, err = check([path])
            self.assertEqual(rc, 1)
            self.assertIn("unused.txt is not used by any run block", err)

    def test_a_run_script_is_its_blocks_in_order(self):
        with tempfile.TemporaryDirectory() as d:
            path = write(d, "doc.md", GOOD)
            blocks, _ = doc_examples.parse(path)
            script = doc_examples.run_script(path, "demo", blocks)
            self.assertIn("set -euo pipefail", script)
            self.assertIn("cc app.c -o app && ./app", script)
            self.assertNotIn("sudo", script)


class Compiling(unittest.TestCase):
    def test_a_correct_document_compiles(self):
        with tempfile.TemporaryDirectory() as d:
            rc, out, err = check([write(d, "doc.md", GOOD)])
            self.assertEqual(rc, 0, out + err)
            self.assertIn("1 fragment, 2 program", out)

    def test_a_program_that_does_not_compile_fails(self):
        with tempfile.TemporaryDirectory() as d:
            path = write(d, "doc.md", "<!-- doc-test: program -->\n```cpp\nint main() { return nope; }\n```\n")
            rc, out, err = check([path])
            self.assertEqual(rc, 1)
            self.assertIn("doc.md:3", out)  # the compiler points into the document

    def test_a_fragment_that_does_not_link_fails(self):
        with tempfile.TemporaryDirectory() as d:
            path = write(d, "doc.md", "<!-- doc-test: fragment -->\n```c\nint weft_no_such_call(void);\nweft_no_such_call();\n```\n")
            rc, out, _ = check([path])
            self.assertEqual(rc, 1)
            self.assertIn("weft_no_such_call", out)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    for a in ("--cc", "--cxx", "--include", "--lib"):
        p.add_argument(a, required=True)
    p.add_argument("--flags", default="")
    ARGS, rest = p.parse_known_args()
    unittest.main(argv=[sys.argv[0], *rest])
