#!/usr/bin/env python3
"""Checks the console's OpenAPI document and recorded answers with libraries egate did not write.

Usage: openapi_check.py RECORDING.json

RECORDING.json is {"document": <the served /api/openapi.json>, "answers": [...]}, each answer
{"method", "path" (the documented template), "url", "status", "content_type", "body" (text or
null for binary)}. The console test (console/src/tests.rs) writes it.

1. The document is a valid OpenAPI 3.1 document (openapi-spec-validator, OpenAPI 3.1.0
   specification §4 and its JSON Schema for the document).
2. Each answer is documented: its operation, its status code (or "default") and its media type
   (OpenAPI 3.1.0 §4.8.16 Responses Object, §4.8.17 Response Object).
3. Each JSON body validates against the documented schema (jsonschema, Draft 2020-12, the
   dialect of OpenAPI 3.1 Schema Objects, §4.8.24), with $ref resolved in the document.

Prints one line per answer; exits 1 with every problem listed if any.
"""

import json
import sys

from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DOC = "urn:egate:openapi"


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as f:
        recording = json.load(f)
    doc = recording["document"]
    validate(doc)
    print("document: valid OpenAPI", doc["openapi"])

    # The document is the resource "#/components/schemas/..." references point into.
    registry = Registry().with_resource(
        DOC, Resource.from_contents(doc, default_specification=DRAFT202012)
    )
    problems = []
    for a in recording["answers"]:
        what = f'{a["method"]} {a["url"]} -> {a["status"]} {a["content_type"]}'
        op = doc["paths"].get(a["path"], {}).get(a["method"].lower())
        if op is None:
            problems.append(f"{what}: operation {a['method']} {a['path']} not documented")
            continue
        responses = op.get("responses", {})
        response = responses.get(str(a["status"]), responses.get("default"))
        if response is None:
            problems.append(f"{what}: status {a['status']} not documented (has {sorted(responses)})")
            continue
        media = (a["content_type"] or "").split(";")[0].strip()
        content = response.get("content", {})
        if not content:
            if a["body"]:
                problems.append(f"{what}: a body where the document promises none")
            else:
                print(f"ok {what} (no content)")
            continue
        if media not in content:
            problems.append(f"{what}: media type {media!r} not documented (has {sorted(content)})")
            continue
        schema = content[media].get("schema")
        if media != "application/json" or schema is None:
            print(f"ok {what} (media type documented)")
            continue
        try:
            body = json.loads(a["body"])
        except (TypeError, ValueError) as e:
            problems.append(f"{what}: not JSON ({e})")
            continue
        # The operation's schema, its local references pointed at the whole document.
        validator = Draft202012Validator(absolute_refs(schema), registry=registry)
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
        if errors:
            for e in errors:
                problems.append(f"{what}: {'/'.join(map(str, e.path)) or '(root)'}: {e.message[:300]}")
        else:
            print(f"ok {what} (body matches the schema)")
    for p in problems:
        print("PROBLEM", p)
    return 1 if problems else 0


def absolute_refs(schema):
    """A copy of `schema` whose "#/..." references name the document ("urn:egate:openapi")."""
    if isinstance(schema, dict):
        return {
            k: (DOC + v if k == "$ref" and isinstance(v, str) and v.startswith("#") else absolute_refs(v))
            for k, v in schema.items()
        }
    if isinstance(schema, list):
        return [absolute_refs(v) for v in schema]
    return schema


if __name__ == "__main__":
    sys.exit(main())
