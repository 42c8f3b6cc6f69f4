#!/usr/bin/env python3
"""Extracts the response schemas the fake serves from Asana's OpenAPI spec.

Run once (needs PyYAML), commit the output; tests never read the spec itself:

    python3 tests/fake-asana/spec/extract_schemas.py ../shared/asana/asana_oas.yaml \
        > tests/fake-asana/spec/asana_schemas.json

Output: a JSON Schema (2020-12) bundle
    {"$comment": ..., "operations": {operationId: schema, ...},
     "fields": {Name: {"all": [...], "opt_in": [...]}}, "$defs": {Name: schema}}
where each operation schema is the 2xx body of that GET or of a write in
`WRITES` (the webhook routes), plus `getEvents412`
and `error` = ErrorResponse), every `$ref` points into `#/$defs/...`, and
`$defs` holds only the component schemas those bodies reach, together with
the `*Response` records of the listed resources (what a list item can hold
with a wide opt_fields). `fields` lists each component's property names and
the ones its descriptions mark `[Opt In]`, for the default-fields checks.

OpenAPI 3.0 → JSON Schema: `nullable: true` becomes `type: [T, "null"]`
(with `null` added to an `enum`) or, for composed schemas, `anyOf` with
`{"type": "null"}`; a nullable member of an `allOf` makes the whole `allOf`
nullable (Asana writes `allOf: [{$ref: UserCompact}, {nullable: true}]`).
`example`, `description`, `readOnly`, `writeOnly` and `x-*` keys are dropped.
"""

import hashlib
import json
import sys

import yaml

ROUTES = {
    "/users/{user_gid}": "getUser",
    "/workspaces": "getWorkspaces",
    "/portfolios/{portfolio_gid}": "getPortfolio",
    "/portfolios/{portfolio_gid}/items": "getItemsForPortfolio",
    "/projects/{project_gid}": "getProject",
    "/projects/{project_gid}/tasks": "getTasksForProject",
    "/projects/{project_gid}/sections": "getSectionsForProject",
    "/tasks": "getTasks",
    "/tasks/{task_gid}": "getTask",
    "/tasks/{task_gid}/subtasks": "getSubtasksForTask",
    "/events": "getEvents",
    "/webhooks": "getWebhooks",
    "/webhooks/{webhook_gid}": "getWebhook",
}
# The write operations the fake serves: (route, method, success status, operationId).
WRITES = [
    ("/webhooks", "post", 201, "createWebhook"),
    ("/webhooks/{webhook_gid}", "put", 200, "updateWebhook"),
    ("/webhooks/{webhook_gid}", "delete", 200, "deleteWebhook"),
]
EXTRA_ROOTS = ["TaskResponse", "ProjectResponse", "SectionResponse", "WorkspaceResponse",
               "PortfolioResponse", "UserResponse", "ErrorResponse", "WebhookResponse"]
DROP = {"example", "examples", "description", "readOnly", "writeOnly", "externalDocs", "xml"}
REF_PREFIX = "#/components/schemas/"


def make_nullable(schema):
    composed = any(k in schema for k in ("$ref", "allOf", "anyOf", "oneOf"))
    if "type" in schema and not composed:
        schema = dict(schema)
        schema["type"] = [schema["type"], "null"] if isinstance(schema["type"], str) else schema["type"] + ["null"]
        if "enum" in schema and None not in schema["enum"]:
            schema["enum"] = schema["enum"] + [None]
        return schema
    return {"anyOf": [{"type": "null"}, schema]}


def deep_finish(node):
    """Translates a whole tree, applying nullability at every level."""
    if isinstance(node, list):
        return [deep_finish(n) for n in node]
    if not isinstance(node, dict):
        return node
    nullable = bool(node.get("nullable")) or any(
        isinstance(m, dict) and m.get("nullable") for k in ("allOf", "anyOf", "oneOf") for m in node.get(k, []))
    out = {}
    for key, value in node.items():
        if key in DROP or key == "nullable" or key.startswith("x-"):
            continue
        if key == "$ref":
            out[key] = "#/$defs/" + value[len(REF_PREFIX):]
        elif key == "properties":
            out[key] = {name: deep_finish(v) for name, v in value.items()}
        elif key in ("allOf", "anyOf", "oneOf"):
            members = [strip_nullable(m) if key == "allOf" else m for m in value]
            out[key] = [m for m in (deep_finish(m) for m in members) if m != {}]
        elif key in ("items", "additionalProperties", "not"):
            out[key] = deep_finish(value)
        else:
            out[key] = value
    if out.get("allOf") == [] and len(out) == 1:
        out = {}
    return make_nullable(out) if nullable else out


def strip_nullable(member):
    if isinstance(member, dict) and "nullable" in member:
        member = {k: v for k, v in member.items() if k != "nullable"}
    return member


def refs(node, found):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            found.add(ref[len(REF_PREFIX):])
        for value in node.values():
            refs(value, found)
    elif isinstance(node, list):
        for value in node:
            refs(value, found)


def reachable(schemas, roots):
    seen, todo = set(), list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        found = set()
        refs(schemas[name], found)
        todo.extend(found - seen)
    return seen


def resolve_response(spec, response):
    ref = response.get("$ref")
    if ref:
        response = spec["components"]["responses"][ref.split("/")[-1]]
    return response["content"]["application/json"]["schema"]


def fields(schemas, name):
    """Every property name of a component (through allOf and $ref), and those
    whose description marks them `[Opt In]` (left out unless requested)."""
    every, opt_in = set(), set()

    def walk(node):
        if not isinstance(node, dict):
            return
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            walk(schemas[ref[len(REF_PREFIX):]])
        for member in node.get("allOf", []):
            walk(member)
        for prop, value in node.get("properties", {}).items():
            every.add(prop)
            if "Opt In" in json.dumps(value.get("description", "")) or opt_in_member(value):
                opt_in.add(prop)

    walk(schemas[name])
    return {"all": sorted(every), "opt_in": sorted(opt_in)}


def opt_in_member(value):
    return any(isinstance(m, dict) and "Opt In" in m.get("description", "") for m in value.get("allOf", []))


def main(path):
    raw = open(path, "rb").read()
    spec = yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    schemas = spec["components"]["schemas"]
    operations = {}
    for route, operation_id in ROUTES.items():
        op = spec["paths"][route]["get"]
        assert op["operationId"] == operation_id, (route, op["operationId"])
        operations[operation_id] = resolve_response(spec, op["responses"][200])
    for route, method, status, operation_id in WRITES:
        op = spec["paths"][route][method]
        assert op["operationId"] == operation_id, (route, method, op["operationId"])
        operations[operation_id] = resolve_response(spec, op["responses"][status])
    operations["getEvents412"] = resolve_response(spec, spec["paths"]["/events"]["get"]["responses"][412])
    operations["error"] = {"$ref": REF_PREFIX + "ErrorResponse"}
    roots = set(EXTRA_ROOTS)
    refs(operations, roots)
    names = sorted(reachable(schemas, roots))
    bundle = {
        "$comment": "Generated by extract_schemas.py from Asana/openapi defs/asana_oas.yaml "
                    f"(sha256 {hashlib.sha256(raw).hexdigest()[:16]}, {spec['info'].get('version', '?')}). Do not edit.",
        "operations": {k: deep_finish(v) for k, v in operations.items()},
        "fields": {name: fields(schemas, name) for name in names},
        "$defs": {name: deep_finish(schemas[name]) for name in names},
    }
    json.dump(bundle, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/asana/asana_oas.yaml")
