"""Cut a small, self-contained JSON Schema bundle out of GitHub's official REST API description.

Input: api.github.com.json from the npm package @octokit/openapi (GitHub's OpenAPI 3.0 description):
    npm install --prefix octokit @octokit/openapi
    python3 extract.py octokit/node_modules/@octokit/openapi/generated/api.github.com.json > github-rest-subset.schema.json

Output: {"endpoints": {"GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews": {"operationId": ...,
"request": <schema or null>, "responses": {"200": <schema>}}}, "$defs": {...}}. OpenAPI's `nullable` is
rewritten as JSON Schema null types, so jsonschema's Draft202012Validator can check a fake server's answers
and a client's request bodies against what api.github.com promises.
"""
import json
import sys

WANT = [
    ("get", "/repos/{owner}/{repo}"),
    ("get", "/repos/{owner}/{repo}/pulls/{pull_number}"),
    ("get", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews"),
    ("get", "/repos/{owner}/{repo}/pulls/{pull_number}/files"),
    ("get", "/repos/{owner}/{repo}/pulls/{pull_number}/commits"),
    ("get", "/repos/{owner}/{repo}/commits/{commit_sha}/pulls"),
    ("get", "/repos/{owner}/{repo}/commits/{ref}"),
    ("get", "/repos/{owner}/{repo}/contents/{path}"),
    ("get", "/repos/{owner}/{repo}/codeowners/errors"),
    ("get", "/repos/{owner}/{repo}/collaborators/{username}/permission"),
    ("get", "/orgs/{org}"),
    ("get", "/orgs/{org}/teams/{team_slug}"),
    ("get", "/orgs/{org}/teams/{team_slug}/members"),
    ("get", "/orgs/{org}/teams/{team_slug}/memberships/{username}"),
    ("get", "/users/{username}"),
    ("post", "/repos/{owner}/{repo}/git/tags"),
    ("get", "/repos/{owner}/{repo}/git/tags/{tag_sha}"),
    ("post", "/repos/{owner}/{repo}/git/refs"),
    ("get", "/repos/{owner}/{repo}/git/ref/{ref}"),
    ("get", "/repos/{owner}/{repo}/git/matching-refs/{ref}"),
    ("post", "/repos/{owner}/{repo}/releases"),
    ("get", "/repos/{owner}/{repo}/releases/tags/{tag}"),
    ("post", "/repos/{owner}/{repo}/check-runs"),
    ("get", "/repos/{owner}/{repo}/commits/{ref}/check-runs"),
    ("post", "/repos/{owner}/{repo}/statuses/{sha}"),
    ("get", "/repos/{owner}/{repo}/commits/{ref}/status"),
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
    ("post", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
    ("patch", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
    ("get", "/rate_limit"),
    # --- added for gate: check runs / statuses ---
    ("get", "/repos/{owner}/{repo}/check-runs/{check_run_id}"),
    ("patch", "/repos/{owner}/{repo}/check-runs/{check_run_id}"),
    ("get", "/repos/{owner}/{repo}/commits/{ref}/check-suites"),
    ("get", "/repos/{owner}/{repo}/commits/{ref}/statuses"),
    # --- rulesets ---
    ("get", "/repos/{owner}/{repo}/rulesets"),
    ("get", "/repos/{owner}/{repo}/rulesets/{ruleset_id}"),
    ("get", "/repos/{owner}/{repo}/rules/branches/{branch}"),
    ("get", "/repos/{owner}/{repo}/rulesets/rule-suites"),
    ("get", "/repos/{owner}/{repo}/rulesets/rule-suites/{rule_suite_id}"),
    ("get", "/orgs/{org}/rulesets"),
    ("get", "/orgs/{org}/rulesets/{ruleset_id}"),
    # --- classic branch protection ---
    ("get", "/repos/{owner}/{repo}/branches/{branch}"),
    ("get", "/repos/{owner}/{repo}/branches/{branch}/protection"),
    ("get", "/repos/{owner}/{repo}/branches/{branch}/protection/required_status_checks"),
    ("get", "/repos/{owner}/{repo}/branches/{branch}/protection/required_pull_request_reviews"),
    # --- environments ---
    ("get", "/repos/{owner}/{repo}/environments"),
    ("get", "/repos/{owner}/{repo}/environments/{environment_name}"),
    ("get", "/repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies"),
    ("get", "/repos/{owner}/{repo}/environments/{environment_name}/deployment_protection_rules"),
    # --- issues: events, timeline, labels ---
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}/events"),
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}/timeline"),
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}/labels"),
    ("get", "/repos/{owner}/{repo}/labels"),
    # --- pulls ---
    ("get", "/repos/{owner}/{repo}/pulls"),
    # --- GitHub App ---
    ("get", "/app"),
    ("get", "/repos/{owner}/{repo}/installation"),
    ("post", "/app/installations/{installation_id}/access_tokens"),
    # --- Actions runs (to check a workflow_run relay's origin) ---
    ("get", "/repos/{owner}/{repo}/actions/runs/{run_id}"),
    ("get", "/repos/{owner}/{repo}/actions/runs/{run_id}/artifacts"),
    ("get", "/repos/{owner}/{repo}/git/trees/{tree_sha}"),
    ("get", "/repos/{owner}/{repo}/git/blobs/{file_sha}"),
]
DROP = {"example", "examples", "description", "x-github", "externalDocs", "discriminator"}


def main(path: str) -> None:
    spec = json.load(open(path))
    comps = spec["components"]
    needed: dict = {}

    def resolve(ref):
        _, _, kind, name = ref.split("/", 3)
        return kind, name, comps[kind][name]

    def conv(node):
        if isinstance(node, list):
            return [conv(x) for x in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            kind, name, obj = resolve(node["$ref"])
            if kind != "schemas":
                return conv(obj)
            if name not in needed:
                needed[name] = None
                needed[name] = conv(obj)
            return {"$ref": f"#/$defs/{name}"}
        out = {}
        for k, v in node.items():
            if k in DROP:
                continue
            out[k] = {pk: conv(pv) for pk, pv in v.items()} if k == "properties" else conv(v)
        if out.pop("nullable", False):
            t = out.get("type")
            if "enum" in out and None not in out["enum"]:
                out["enum"] = out["enum"] + [None]
            if isinstance(t, str):
                out["type"] = [t, "null"]
            else:
                out = {"anyOf": [out, {"type": "null"}]}
        return out

    def body(r):
        if r is None:
            return None
        if "$ref" in r:
            r = resolve(r["$ref"])[2]
        sch = r.get("content", {}).get("application/json", {}).get("schema")
        return conv(sch) if sch else None

    endpoints, missing = {}, []
    for method, p in WANT:
        op = spec["paths"].get(p, {}).get(method)
        if not op:
            missing.append(f"{method.upper()} {p}")
            continue
        responses = {c: body(r) for c, r in op["responses"].items() if c.startswith("2")}
        endpoints[f"{method.upper()} {p}"] = {
            "operationId": op["operationId"],
            "request": body(op.get("requestBody")),
            "responses": responses,
        }
    if missing:
        print("missing:", ", ".join(missing), file=sys.stderr)
    bundle = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "x-source": f"GitHub REST API description (@octokit/openapi), api.github.com {spec['info']['version']}",
        "endpoints": endpoints,
        "$defs": needed,
    }
    json.dump(bundle, sys.stdout, separators=(",", ":"), sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1])
