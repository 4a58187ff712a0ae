#!/usr/bin/env python3
"""Checks JSON-schema grammars against llama.cpp's GBNF recogniser.

For each schema file: the tool prints the GBNF (`TOOL SCHEMA.json`); instances come from hypothesis-jsonschema
(valid ones, written with the keys in the schema's property order) and from mutating them (invalid ones, judged by
jsonschema with format checks). Every valid text should be accepted and every invalid one must be rejected;
llama.cpp's `test-gbnf-validator GRAMMAR INPUT` is the judge.

  python3 scripts/check-schema-grammars.py --tool 'lai-schema-tool' \\
      --validator llama.cpp/build/bin/test-gbnf-validator Tests/Fixtures/grammar/schemas [--cases OUT.jsonl]

Needs: pip install jsonschema hypothesis-jsonschema 'hypothesis<6.120' rfc3339-validator
Exit status 1 when an invalid text is accepted or a grammar fails to parse; rejected valid texts are reported
(the grammar may be a documented subset) but do not fail the run unless --strict.
"""
import argparse, copy, json, os, random, shlex, subprocess, sys, tempfile, warnings
from concurrent.futures import ThreadPoolExecutor

import jsonschema
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis_jsonschema import from_schema

warnings.filterwarnings("ignore")


def resolve(root, s):
    while isinstance(s, dict) and "$ref" in s and len([k for k in s if k not in ("$defs", "definitions")]) == 1:
        node = root
        for part in s["$ref"].lstrip("#").split("/")[1:]:
            node = node[part.replace("~1", "/").replace("~0", "~")]
        s = node
    return s


def validator(root, s):
    v = jsonschema.Draft202012Validator(s, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    if s is not root:
        v = v.evolve(schema=s, _resolver=jsonschema.Draft202012Validator(root)._resolver)
    return v


def reorder(root, s, x):
    """x with object keys in the order the grammar writes them (schema property order, extras last)."""
    s = resolve(root, s)
    if not isinstance(s, dict):
        return x
    parts = [s]
    if "$ref" in s:
        parts.append(resolve(root, {"$ref": s["$ref"]}))
    for p in list(s.get("allOf", [])):
        parts.append(resolve(root, p))
    for key in ("anyOf", "oneOf"):
        for branch in s.get(key, []):
            try:
                if validator(root, branch).is_valid(x):
                    parts.append(resolve(root, branch))
                    break
            except Exception:
                pass
    if isinstance(x, dict):
        order, schemas = [], {}
        for p in parts:
            for k, v in (p.get("properties") or {}).items():
                if k not in order:
                    order.append(k)
                schemas.setdefault(k, v)
            for k in p.get("required", []):
                if k not in order:
                    order.append(k)
        known = [k for k in order if k in x]
        extra = [k for k in x if k not in order]
        return {k: reorder(root, schemas.get(k, True), x[k]) for k in known + extra}
    if isinstance(x, list):
        prefix = next((p["prefixItems"] for p in parts if "prefixItems" in p), [])
        items = next((p["items"] for p in parts if "items" in p), True)
        return [reorder(root, prefix[i] if i < len(prefix) else items, v) for i, v in enumerate(x)]
    return x


def simple_instance(root, s, rng, depth=0):
    """A random instance for schemas hypothesis-jsonschema cannot handle (recursive $ref); may be invalid."""
    s = resolve(root, s)
    if s is True or not isinstance(s, dict):
        return rng.choice([None, 1, "a", True])
    if "const" in s:
        return s["const"]
    if "enum" in s:
        return rng.choice(s["enum"])
    for key in ("anyOf", "oneOf"):
        if key in s:
            branches = s[key] if depth < 4 else s[key][:1]
            return simple_instance(root, rng.choice(branches), rng, depth + 1)
    t = s.get("type", "object" if "properties" in s else "string")
    if isinstance(t, list):
        t = rng.choice(t)
    if t == "object":
        props = s.get("properties", {})
        req = s.get("required", [])
        return {k: simple_instance(root, v, rng, depth + 1) for k, v in props.items()
                if k in req or (depth < 4 and rng.random() < 0.5)}
    if t == "array":
        lo, hi = s.get("minItems", 0), s.get("maxItems", 3)
        count = rng.randint(lo, max(lo, min(hi, 3 if depth < 4 else lo)))
        return [simple_instance(root, s.get("items", True), rng, depth + 1) for _ in range(count)]
    if t in ("integer", "number"):
        lo, hi = s.get("minimum", -1000), s.get("maximum", 1000)
        return rng.randint(int(lo), int(hi)) if t == "integer" else round(rng.uniform(lo, hi), rng.randint(0, 4))
    if t == "boolean":
        return rng.random() < 0.5
    if t == "null":
        return None
    fmt = s.get("format")
    if fmt == "uuid":
        return "%08x-%04x-%04x-%04x-%012x" % tuple(rng.getrandbits(b) for b in (32, 16, 16, 16, 48))
    day = "%04d-%02d-%02d" % (rng.randint(1900, 2100), rng.randint(1, 12), rng.randint(1, 28))
    clock = "%02d:%02d:%02d%s" % (rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59), rng.choice(["Z", "+02:00", ".5Z"]))
    if fmt in ("date", "date-time", "time", "email"):
        return {"date": day, "date-time": day + "T" + clock, "time": clock, "email": "ann.lee@example.org"}[fmt]
    lo, hi = s.get("minLength", 0), s.get("maxLength", 12)
    return "".join(rng.choice("abcXYZ09 é\"\\\n") for _ in range(rng.randint(lo, min(hi, lo + 12))))


def valid_instances(schema, n, seed):
    found = []
    try:
        @settings(max_examples=n * 3, database=None, deadline=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(from_schema(schema))
        def collect(x):
            if len(found) < n * 3:
                found.append(x)
        collect()
    except Exception as e:
        print(f"  (hypothesis: {type(e).__name__}: {str(e)[:80]}; using a simple generator)")
    rng = random.Random(seed)  # also covers what hypothesis-jsonschema lacks (recursion, uuid)
    return found + [simple_instance(schema, schema, rng) for _ in range(n * 2)]


def mutations(x, rng):
    """Small edits of a valid instance (most make it invalid; jsonschema decides)."""
    out = []
    def paths(v, p=()):
        yield p
        if isinstance(v, dict):
            for k in v:
                yield from paths(v[k], p + (k,))
        elif isinstance(v, list):
            for i, e in enumerate(v):
                yield from paths(e, p + (i,))
    all_paths = list(paths(x))
    for _ in range(12):
        y = copy.deepcopy(x)
        p = rng.choice(all_paths)
        parent, key = None, None
        node = y
        for step in p:
            parent, key, node = node, step, node[step]
        choice = rng.randrange(9)
        repl = [None, True, "x", -1, 10**6, 0.5, [], {}, "2023-02-30", -10**6, 1e-7, "a" * 200][rng.randrange(12)]
        if choice <= 2:
            if parent is None:
                y = repl
            else:
                parent[key] = repl
        elif choice == 3 and isinstance(node, dict) and node:
            node.pop(rng.choice(list(node)))
        elif choice == 4 and isinstance(node, dict):
            node["zz_extra"] = repl
        elif choice == 5 and isinstance(node, list):
            node.append(copy.deepcopy(node[0]) if node else repl)
        elif choice == 6 and isinstance(node, list) and node:
            node.pop()
        elif choice == 7 and isinstance(node, (int, float)) and not isinstance(node, bool) and parent is not None:
            parent[key] = node + rng.choice([-1, 1, -0.5, 0.001, 1000])
        elif choice == 8 and isinstance(node, str) and parent is not None:
            parent[key] = rng.choice([node + "x", node[:-1], node.upper(), node + "\u00e9", ""])
        else:
            continue
        out.append(y)
    return out


def text_mutations(t, rng):
    return [t + " ", t + "\n", " " + t, t[:-1], t + "}", t.replace(": ", ":  \n\n", 1), t.replace(",", ",,", 1)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", required=True, help="command printing the GBNF for a schema file")
    ap.add_argument("--validator", required=True)
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--cases", help="write agreeing cases (schema, text, valid) as JSON lines here")
    ap.add_argument("--per-schema", type=int, default=10, help="cases per schema in --cases")
    ap.add_argument("--strict", action="store_true", help="also fail when a valid text is rejected")
    ap.add_argument("schemas")
    args = ap.parse_args()

    files = sorted(f for f in os.listdir(args.schemas) if f.endswith(".json"))
    tmp = tempfile.mkdtemp()
    failures, rejected_valid, cases = 0, 0, []

    def accepts(grammar_path, text, i):
        p = os.path.join(tmp, f"in-{os.getpid()}-{i}.txt")
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)
        r = subprocess.run([args.validator, grammar_path, p], capture_output=True, text=True, errors="replace")
        if "valid according" not in r.stdout and "invalid according" not in r.stdout:
            raise RuntimeError(f"validator failed: {r.stdout[-300:]} {r.stderr[-300:]}")
        return "Input string is valid" in r.stdout

    for name in files:
        schema = json.load(open(os.path.join(args.schemas, name)))
        g = subprocess.run(shlex.split(args.tool) + [os.path.join(args.schemas, name)], capture_output=True, text=True)
        if g.returncode != 0:
            print(f"{name}: converter error: {g.stderr.strip()}")
            failures += 1
            continue
        gpath = os.path.join(tmp, name + ".gbnf")
        open(gpath, "w").write(g.stdout)
        v = validator(schema, schema)
        rng = random.Random(name)
        texts = {}
        for x in valid_instances(schema, args.n, name):
            x = reorder(schema, schema, x)
            for t in (json.dumps(x), json.dumps(x, ensure_ascii=False, separators=(",", ":"))):
                texts.setdefault(t, v.is_valid(x))
            for y in mutations(x, rng):
                try:
                    t = json.dumps(y)
                    texts.setdefault(t, v.is_valid(y))
                except ValueError:
                    pass
        valid = [t for t, ok in texts.items() if ok][: args.n]
        for t in valid[:10]:
            for u in text_mutations(t, rng):
                texts.setdefault(u, False)  # not one JSON value (trailing text, bad whitespace or syntax)
                try:
                    texts[u] = v.is_valid(json.loads(u)) if u.strip() == u else False
                except ValueError:
                    texts[u] = False
        invalid = [t for t, ok in texts.items() if not ok][: args.n]
        todo = [(t, True) for t in valid] + [(t, False) for t in invalid]
        try:
            with ThreadPoolExecutor(8) as pool:
                got = list(pool.map(lambda a: accepts(gpath, a[1][0], a[0]), enumerate(todo)))
        except RuntimeError as e:
            print(f"{name}: {e}")
            failures += 1
            continue
        bad_accept = [t for (t, ok), acc in zip(todo, got) if acc and not ok]
        bad_reject = [t for (t, ok), acc in zip(todo, got) if ok and not acc]
        failures += len(bad_accept)
        rejected_valid += len(bad_reject)
        print(f"{name}: {len(valid)} valid ({len(bad_reject)} rejected), {len(invalid)} invalid ({len(bad_accept)} accepted)")
        for t in bad_accept[:5]:
            print(f"   ACCEPTED INVALID: {t[:200]}")
        for t in bad_reject[:3]:
            print(f"   rejected valid:   {t[:200]}")
        agree = [(t, ok) for (t, ok), acc in zip(todo, got) if acc == ok]
        rng.shuffle(agree)
        pick = [a for a in agree if a[1]][: args.per_schema // 2] + [a for a in agree if not a[1]][: args.per_schema // 2]
        cases += [{"schema": name, "text": t, "valid": ok} for t, ok in pick]

    if args.cases:
        with open(args.cases, "w") as f:
            for c in {json.dumps(c, ensure_ascii=False): c for c in cases}.values():
                f.write(json.dumps(c, ensure_ascii=False) + "\n")
    print(f"schemas {len(files)}, invalid accepted or errors: {failures}, valid rejected: {rejected_valid}")
    sys.exit(1 if failures or (args.strict and rejected_valid) else 0)


if __name__ == "__main__":
    main()
