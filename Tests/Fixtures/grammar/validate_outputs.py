"""Judges model outputs against their JSON schemas with the reference validator (python-jsonschema, formats checked).

Input (stdin): JSON lines {"schema": PATH, "text": OUTPUT}. Output: one JSON line per input,
{"schema", "ok", "why"}: ok when OUTPUT is one JSON value with nothing after it (json.loads, no extra data)
that the schema's draft validator accepts, with `format` enforced (date, date-time, uuid, email, ...).
"""
import json
import sys

import jsonschema

for line in sys.stdin:
    case = json.loads(line)
    schema = json.load(open(case["schema"]))
    try:
        value = json.loads(case["text"])
    except json.JSONDecodeError as e:
        print(json.dumps({"schema": case["schema"], "ok": False, "why": f"not one JSON value: {e}"}))
        continue
    cls = jsonschema.validators.validator_for(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(value), key=lambda e: list(e.path))
    why = "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:3])
    print(json.dumps({"schema": case["schema"], "ok": not errors, "why": why}))
