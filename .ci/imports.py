#!/usr/bin/env python3
"""The crate's file-level import graph, checked for two rules:

1. nothing under src/db imports from src/domain, src/grpc or src/server;
2. no circle of imports among the files of src/.

An edge A -> B is a path in A (a `use` or a path written in code) that
names an item of the module in file B. A path to one of A's own ancestor
modules is not an edge: a child module sees its parent's items, and the
parent declares the child, so the two are one unit of the module tree.
"""
import re
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"


def module_of(path: Path) -> tuple:
    rel = path.relative_to(SRC).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "mod":
        parts.pop()
    if parts in (["lib"], ["main"]):
        return ()
    return tuple(parts)


FILES = {}
for f in sorted(SRC.rglob("*.rs")):
    if f.name == "main.rs" and f.parent == SRC:
        continue
    FILES.setdefault(module_of(f), f)


def strip(text: str) -> str:
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r'r#*"(?:.|\n)*?"#*', '""', text)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    # Unit tests are not part of the graph: they may use anything.
    out, depth, skip = [], 0, False
    i = 0
    lines = text.split("\n")
    result = []
    in_tests = False
    brace = 0
    pending = False
    for line in lines:
        if not in_tests and re.match(r"\s*#\[cfg\(test\)\]", line):
            pending = True
            continue
        if pending:
            if re.match(r"\s*mod\s+\w+\s*\{", line):
                in_tests, brace = True, 0
            pending = False
        if in_tests:
            brace += line.count("{") - line.count("}")
            if brace <= 0 and "}" in line:
                in_tests = False
            continue
        result.append(line)
    return "\n".join(result)


def use_paths(tree: str, prefix: list) -> list:
    """Expands a use tree (`a::{b, c::{d, e}}`) into paths."""
    tree = tree.strip()
    if not tree:
        return []
    out = []
    depth = 0
    # split top-level on commas
    parts, cur = [], ""
    for ch in tree:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    for part in parts:
        part = part.strip()
        if not part:
            continue
        m = re.match(r"^((?:[\w]+::)*)\{(.*)\}$", part, re.S)
        if m:
            head = [p for p in m.group(1).split("::") if p]
            out += use_paths(m.group(2), prefix + head)
        else:
            part = re.sub(r"\s+as\s+\w+$", "", part)
            out.append(prefix + [p for p in part.split("::") if p])
    return out


def resolve(mod: tuple, path: list):
    """The file module a path starting in `mod` names, or None."""
    if not path:
        return None
    cur = list(mod)
    i = 0
    if path[0] == "crate":
        cur, i = [], 1
    elif path[0] in ("super", "self"):
        while i < len(path) and path[i] in ("super", "self"):
            if path[i] == "super":
                cur = cur[:-1]
            i += 1
    else:
        # A path relative to the current module: a child module only.
        if tuple(cur + [path[0]]) not in FILES:
            return None
    rest = path[i:]
    best = tuple(cur)
    for k in range(1, len(rest) + 1):
        cand = tuple(cur + rest[:k])
        if cand in FILES:
            best = cand
        else:
            break
    return best


def edges_of(mod: tuple, f: Path) -> set:
    text = strip(f.read_text())
    paths = []
    # Names a `use` brings into scope that are modules: `use crate::db;`,
    # `use crate::{db::{self, gates}}` make `db::...` and `gates::...`
    # paths of those modules.
    aliases = {}
    for m in re.finditer(r"\buse\s+([^;]+);", text):
        for p in use_paths(m.group(1), []):
            paths.append(p)
            if p and p[-1] == "self":
                p = p[:-1]
            if not p or p[0] not in ("crate", "super", "self"):
                continue
            target = resolve(mod, p)
            if target is not None and target in FILES and len(p) > 1:
                # Only a path naming the module itself (not an item in it).
                last = p[-1]
                if target[-1:] == (last,):
                    aliases[last] = p
    for m in re.finditer(r"\b((?:crate|super|self)(?:::\w+)+)", text):
        paths.append(m.group(1).split("::"))
    for m in re.finditer(r"(?<![:\w])([a-z_]\w*)((?:::\w+)+)", text):
        head, rest = m.group(1), m.group(2).split("::")[1:]
        if head in ("crate", "super", "self"):
            continue
        if head in aliases:
            paths.append(aliases[head] + rest)
        elif tuple(list(mod) + [head]) in FILES:
            paths.append(["self", head] + rest)
    out = set()
    for p in paths:
        target = resolve(mod, p)
        if target is None or target == mod:
            continue
        if target == mod[: len(target)]:
            continue  # an ancestor
        if target in FILES:
            out.add(target)
    return out


def main() -> int:
    graph = {m: edges_of(m, f) for m, f in FILES.items()}
    name = lambda m: str(FILES[m].relative_to(SRC.parent))
    failed = False
    for m, targets in sorted(graph.items()):
        if m[:1] == ("db",):
            for t in sorted(targets):
                if t[:1] in (("domain",), ("grpc",), ("server",)):
                    print(f"{name(m)} imports {name(t)}: src/db imports nothing from domain, grpc or server")
                    failed = True
    # Tarjan's strongly connected components.
    index, low, stack, on, comps = {}, {}, [], set(), []
    counter = [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            comps.append(comp)

    for v in graph:
        if v not in index:
            visit(v)
    for comp in comps:
        if len(comp) > 1:
            failed = True
            print("a circle of imports among: " + ", ".join(sorted(name(m) for m in comp)))
            members = set(comp)
            for m in sorted(comp):
                for t in sorted(graph[m] & members):
                    print(f"    {name(m)} -> {name(t)}")
    if "-v" in sys.argv:
        for m, targets in sorted(graph.items()):
            print(name(m), "->", ", ".join(sorted(name(t) for t in targets)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
