#!/usr/bin/env python3
"""Fails when a source file includes a header of a layer it may not use.

The rules are cmake/layers.txt ("layer: layers it may use"), closed transitively.
Every file under src/<layer>/ may include "<x>/..." only for x in the closure of
<layer>. Headers outside the project (<vector>, <sodium.h>, <lwip/...>) are not
layers and are ignored, except that only crypto/ may include sodium or OpenSSL and only stack/ lwIP.

Usage: check_layers.py [ROOT]     exit 0 clean, 1 with one line per violation.
"""
import pathlib
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.MULTILINE)
SOURCE_SUFFIXES = {".hpp", ".cpp", ".h", ".c", ".cc", ".hh"}
# Third-party headers that only one layer may use, by include prefix.
PRIVATE_THIRD_PARTY = {"sodium": "crypto", "openssl/": "crypto", "lwip/": "stack", "netif/": "stack"}


def load_rules(path):
    deps = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, _, rest = line.partition(":")
        deps[name.strip()] = rest.split()
    closure = {}
    for layer in deps:
        seen, todo = {layer}, list(deps[layer])
        while todo:
            d = todo.pop()
            if d not in seen:
                seen.add(d)
                todo.extend(deps.get(d, []))
        closure[layer] = seen
    return closure


def check(root):
    root = pathlib.Path(root)
    closure = load_rules(root / "cmake" / "layers.txt")
    layers = set(closure)
    problems = []
    src = root / "src"
    for path in sorted(src.rglob("*")):
        if path.suffix not in SOURCE_SUFFIXES or not path.is_file():
            continue
        layer = path.relative_to(src).parts[0]
        if layer not in closure:
            problems.append(f"{path.relative_to(root)}: folder src/{layer} is not a layer "
                            "in cmake/layers.txt")
            continue
        text = path.read_text(errors="replace")
        for m in INCLUDE.finditer(text):
            target = m.group(1)
            line = text.count("\n", 0, m.start()) + 1
            head = target.split("/", 1)[0]
            where = f"{path.relative_to(root)}:{line}"
            if "/" in target and head in layers and head not in closure[layer]:
                problems.append(f"{where}: layer '{layer}' may not include '{target}' "
                                f"(allowed: {', '.join(sorted(closure[layer]))})")
            for prefix, owner in PRIVATE_THIRD_PARTY.items():
                if target.startswith(prefix) and layer != owner:
                    problems.append(f"{where}: only '{owner}' may include '{target}'")
    return problems


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent
    problems = check(root)
    for p in problems:
        print(p)
    if problems:
        print(f"layer check: {len(problems)} violation(s)")
        return 1
    print("layer check: clean")
    return 0


if __name__ == "__main__":
    sys.exit(main())
