#!/usr/bin/env bash
# clients.sh — install the pinned client generators and spec linters (idempotently) and
# generate every client from one OpenAPI document. Exit status is non-zero when any
# linter reports any finding, any generator prints a warning, or any step fails.
#
# usage: clients.sh TOOLS_DIR SPEC_JSON [OUT_DIR]
#   TOOLS_DIR  where the tools are installed, e.g. target/clients-tools (created; reused)
#   SPEC_JSON  the OpenAPI 3.0 document, e.g. openapi/openapi.json
#   OUT_DIR    where clients and logs go (default: target/clients); wiped and rewritten
#
# environment (all optional):
#   SPEC_YAML         YAML twin of SPEC_JSON, parsed as YAML 1.1 (PyYAML) and compared
#                     value by value with the JSON (default: SPEC_JSON with .yaml, if present)
#   REDOCLY_CONFIG    default: redocly.yaml beside this script
#   SPECTRAL_RULESET  default: .spectral.yaml beside this script
#   DORFAPP_BIN       the server binary (e.g. target/debug/dorfapp). When set, a server is
#                     started on SQLite in a temporary directory and the scenario
#                     (scenario.py, scenario.ts beside this script) runs with the generated
#                     Python client and with the TypeScript one, then ical_check.py. Unset:
#                     generation only.
#   SCENARIO_PORT     its port (default 18282)
#   OAG_GENERATORS    openapi-generator generators (default: "python kotlin swift6")
#   OAG_ALLOW         extended regex of openapi-generator log lines that are NOT failures
#                     (default: two lines of openapi-generator 7.26.0 that say nothing
#                     about the document: "Failed to get the schema name: null", which
#                     it prints for every spec, even a one-schema one; and the python
#                     generator's "From (reserved word) cannot be used as model name",
#                     printed for the query parameter `from` of getRideStats although no
#                     model of that name exists; the parameter is generated as `from_`)
#   NPM_CONFIG_* / PIP_* as usual for the package clients.
#
# Pinned versions (bump them here, together, and re-run):
#   PyPI   openapi-python-client 0.29.1   Python client (httpx + attrs)
#   PyPI   openapi-generator-cli 7.26.0   wrapper that ships openapi-generator's jar
#   PyPI   PyYAML 6.0.2                   YAML 1.1 reading of the YAML twin
#   PyPI   openapi-schema-validator 0.9.0 every example checked against its schema with
#                                         OpenAPI 3.0 semantics (nullable), which the
#                                         linters cannot do for a nullable reference
#   PyPI   icalendar 7.3.0                an iCalendar parser not ours, for ical_check.py
#   PyPI   recurring-ical-events 3.8.2    expands RRULE/EXDATE/RECURRENCE-ID as calendar
#                                         apps do, for ical_check.py
#   npm    @redocly/cli 2.77.0            linter, "recommended" ruleset
#   npm    @stoplight/spectral-cli 6.16.3 linter, "spectral:oas" ruleset
#   npm    openapi-typescript 7.13.0      TypeScript types
#   npm    openapi-fetch 0.17.0           typed fetch client over those types
#   npm    typescript 5.9.3               tsc for scenario.ts (openapi-typescript 7.13.0
#                                         declares peer typescript ^5.x; 7.x is out of
#                                         that range)
#   npm    @types/node 20.19.43           node's globals for scenario.ts (Node 20 runs it)
#   Debian default-jre-headless           Java runtime for the jar (Debian 12: 2:1.17-74,
#                                         i.e. openjdk-17-jre-headless); installed with
#                                         apt-get only when no `java` is on PATH
# Needs: bash, python3 (>= 3.9) with venv, node (>= 20.19) and npm, root for apt-get.
set -euo pipefail

readonly OPC_VERSION=0.29.1
readonly OAG_VERSION=7.26.0
readonly PYYAML_VERSION=6.0.2
readonly OSV_VERSION=0.9.0
readonly ICALENDAR_VERSION=7.3.0
readonly RIEV_VERSION=3.8.2
readonly REDOCLY_VERSION=2.77.0
readonly SPECTRAL_VERSION=6.16.3
readonly OATS_VERSION=7.13.0
readonly OAFETCH_VERSION=0.17.0
readonly TYPESCRIPT_VERSION=5.9.3
readonly TYPES_NODE_VERSION=20.19.43
readonly JRE_DEB_PACKAGE=default-jre-headless

die() { echo "clients.sh: $*" >&2; exit 2; }
[[ $# -ge 2 && $# -le 3 ]] || die "usage: clients.sh TOOLS_DIR SPEC_JSON [OUT_DIR]"

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$1"
tools=$(cd "$1" && pwd)
[[ -f $2 ]] || die "no such spec: $2"
spec=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
out=${3:-target/clients}
mkdir -p "$out"
out=$(cd "$out" && pwd)
spec_yaml=${SPEC_YAML:-${spec%.json}.yaml}
redocly_config=${REDOCLY_CONFIG:-$script_dir/redocly.yaml}
spectral_ruleset=${SPECTRAL_RULESET:-$script_dir/.spectral.yaml}
scenario_port=${SCENARIO_PORT:-18282}
oag_generators=${OAG_GENERATORS:-python kotlin swift6}
oag_allow=${OAG_ALLOW:-'WARN  o\.o\.codegen\.utils\.ModelUtils - Failed to get the schema name: null$|WARN  o\.o\.c\.l\.AbstractPythonCodegen - From \(reserved word\) cannot be used as model name\. Renamed to ModelFrom$'}
[[ -f $redocly_config ]] || die "no redocly config: $redocly_config"
[[ -f $spectral_ruleset ]] || die "no spectral ruleset: $spectral_ruleset"

# No telemetry, update checks or colour codes in the logs.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true SCARF_ANALYTICS=false
export DO_NOT_TRACK=1 NO_COLOR=1 FORCE_COLOR=0 NPM_CONFIG_UPDATE_NOTIFIER=false
export PIP_DISABLE_PIP_VERSION_CHECK=1

# ---------------------------------------------------------------- install (idempotent)
install_java() {
    if command -v java >/dev/null 2>&1; then return; fi
    [[ $(id -u) -eq 0 ]] || die "no java on PATH; install Debian's $JRE_DEB_PACKAGE"
    echo "== installing $JRE_DEB_PACKAGE (apt-get)"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$JRE_DEB_PACKAGE"
}

install_python_tools() {
    local pins="openapi-python-client==$OPC_VERSION openapi-generator-cli==$OAG_VERSION PyYAML==$PYYAML_VERSION openapi-schema-validator==$OSV_VERSION icalendar==$ICALENDAR_VERSION recurring-ical-events==$RIEV_VERSION"
    local stamp=$tools/venv/.clients-pins
    if [[ -x $tools/venv/bin/python && -f $stamp && $(cat "$stamp") == "$pins" ]]; then return; fi
    echo "== installing Python tools: $pins"
    rm -rf "$tools/venv"
    python3 -m venv "$tools/venv"
    # shellcheck disable=SC2086 # $pins is a list of requirement specifiers
    "$tools/venv/bin/pip" install --no-input -q $pins
    echo "$pins" >"$stamp"
}

install_node_tools() {
    local dir=$tools/node stamp=$tools/node/.clients-pins
    local pins="@redocly/cli@$REDOCLY_VERSION @stoplight/spectral-cli@$SPECTRAL_VERSION openapi-typescript@$OATS_VERSION openapi-fetch@$OAFETCH_VERSION typescript@$TYPESCRIPT_VERSION @types/node@$TYPES_NODE_VERSION"
    if [[ -d $dir/node_modules && -f $stamp && $(cat "$stamp") == "$pins" ]]; then return; fi
    echo "== installing npm tools: $pins"
    rm -rf "$dir"
    mkdir -p "$dir"
    cat >"$dir/package.json" <<EOF
{
  "name": "clients-tools",
  "private": true,
  "dependencies": {
    "@redocly/cli": "$REDOCLY_VERSION",
    "@stoplight/spectral-cli": "$SPECTRAL_VERSION",
    "@types/node": "$TYPES_NODE_VERSION",
    "openapi-fetch": "$OAFETCH_VERSION",
    "openapi-typescript": "$OATS_VERSION",
    "typescript": "$TYPESCRIPT_VERSION"
  }
}
EOF
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error)
    echo "$pins" >"$stamp"
}

install_java
install_python_tools
install_node_tools
export PATH=$tools/venv/bin:$tools/node/node_modules/.bin:$PATH   # ruff for opc's post hooks
py=$tools/venv/bin/python

# ---------------------------------------------------------------- steps
rm -rf "${out:?}"/*
mkdir -p "$out/logs"
failed=()

# step NAME CHECK CMD...: run CMD with its output in logs/NAME.log. CHECK is a function
# called with the log path and CMD's exit status; it prints findings and fails if any.
step() {
    local name=$1 check=$2 rc=0
    shift 2
    local log=$out/logs/$name.log
    echo "== $name"
    "$@" >"$log" 2>&1 || rc=$?
    if "$check" "$log" "$rc"; then
        echo "   ok"
    else
        echo "   FAILED (exit $rc) — see $log"
        failed+=("$name")
    fi
}

# Prefix lines for the console summary (awk: always ends lines with a newline).
indent() { awk '{ print "   | " $0 }'; }
# Pass only on exit 0.
exit_ok() { [[ $2 -eq 0 ]] || { tail -n 20 "$1" | indent; return 1; }; }
# Pass on exit 0 and no line matching WARN (any case) in the output.
no_warning() {
    exit_ok "$@" || return 1
    if grep -qiE 'warn|⚠' "$1"; then grep -iE 'warn|⚠' "$1" | head -n 20 | indent; return 1; fi
}
# openapi-python-client: --fail-on-warning already exits 1; also catch its texts.
opc_check() {
    local n
    n=$(grep -cE '^(WARNING|Unable to process schema)' "$1" || true)
    [[ $2 -eq 0 && $n -eq 0 ]] && return 0
    echo "   | $n warnings and dropped schemas; the schemas it could not read:"
    awk '/^Unable to process schema/ { s = $0; getline; getline; print s " " $0 }' "$1" | head -n 30 | indent
    return 1
}
# openapi-generator: any WARN/ERROR line not in OAG_ALLOW.
oag_check() {
    local bad
    bad=$(grep -E '^\[[^]]*\] +(WARN|ERROR)' "$1" | grep -vE "$oag_allow" || true)
    [[ $2 -eq 0 && -z $bad ]] && return 0
    [[ -n $bad ]] && indent <<<"$bad" | head -n 20
    [[ $2 -ne 0 ]] && tail -n 20 "$1" | indent
    return 1
}
oag_validate_check() { exit_ok "$@" && grep -q 'No validation issues detected' "$1"; }
# redocly: any problem (error or warning) fails; ignored ones (lint-ignore file) don't.
redocly_check() {
    "$py" - "$1" <<'EOF'
import json, sys
text = open(sys.argv[1], encoding="utf-8").read()
d, _ = json.JSONDecoder().raw_decode(text[text.index("{"):])  # skip redocly's stderr lines
t = d["totals"]
for p in d["problems"]:
    loc = p["location"][0].get("pointer", "") if p.get("location") else ""
    print("   | %s %s %s %s" % (p["severity"], p["ruleId"], loc, p["message"][:160]))
print("   | redocly: %d errors, %d warnings, %d ignored" % (t["errors"], t["warnings"], t["ignored"]))
sys.exit(1 if t["errors"] or t["warnings"] else 0)
EOF
}

# 1. YAML twin, read as YAML 1.1 (PyYAML), must equal the JSON value for value.
yaml_twin() {
    "$py" - "$spec_yaml" "$spec" <<'EOF'
import json, sys, yaml
y = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
j = json.load(open(sys.argv[2], encoding="utf-8"))
diffs = []
def walk(a, b, path):
    if isinstance(b, dict) and isinstance(a, dict):
        if set(map(str, a)) != set(b) or any(not isinstance(k, str) for k in a):
            diffs.append((path or "/", "keys %r" % sorted(map(str, set(map(str, a)) ^ set(b)))))
        for k in b:
            if k in a: walk(a[k], b[k], path + "/" + k.replace("~", "~0").replace("/", "~1"))
    elif isinstance(b, list) and isinstance(a, list) and len(a) == len(b):
        for i, (x, z) in enumerate(zip(a, b)): walk(x, z, "%s/%d" % (path, i))
    elif type(a) is not type(b) or a != b:
        if not (type(a) in (int, float) and type(b) in (int, float) and a == b):
            diffs.append((path, "YAML 1.1 gives %s %r, JSON has %s %r" % (type(a).__name__, a, type(b).__name__, b)))
walk(y, j, "")
for p, m in diffs: print("%s: %s" % (p, m))
print("%d differences between %s (PyYAML %s) and %s" % (len(diffs), sys.argv[1], yaml.__version__, sys.argv[2]))
sys.exit(1 if diffs else 0)
EOF
}
if [[ -f $spec_yaml ]]; then step yaml11-twin exit_ok yaml_twin; fi

# 2. Every example validates against its schema with OpenAPI 3.0 rules (`nullable` counts);
#    the linters' validators cannot compile a nullable reference (see redocly.yaml).
examples() {
    "$py" - "$spec" <<'EOF'
import json, sys
from openapi_schema_validator import OAS30Validator
doc = json.load(open(sys.argv[1], encoding="utf-8"))
components = doc.get("components", {})
checked, failures = 0, []
def check(example, schema, where):
    global checked
    checked += 1
    root = dict(nullable_refs(schema), components=nullable_refs(components))
    for error in OAS30Validator(root).iter_errors(example):
        path = "/".join(map(str, error.path))
        failures.append("%s: %s at /%s" % (where, error.message[:160], path))
def nullable_refs(node):
    """{nullable: true, allOf: [{$ref}]} read as the generators read it: the reference or
    null. (A strict OpenAPI 3.0.3 validator gives `nullable` without `type` no effect.)"""
    if isinstance(node, list):
        return [nullable_refs(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: nullable_refs(value) for key, value in node.items()}
    if node.get("nullable") is True and "type" not in node and "allOf" in node:
        rest = {k: v for k, v in node.items() if k not in ("nullable", "allOf")}
        return dict(rest, anyOf=[{"allOf": node["allOf"]}, {"nullable": True, "enum": [None]}])
    return node
def walk(node, where):
    if isinstance(node, dict):
        if "example" in node:
            if "schema" in node:  # a media type or a parameter
                check(node["example"], node["schema"], where)
            elif where.startswith("#/components/schemas/"):  # a schema with its example
                check(node["example"], {k: v for k, v in node.items() if k != "example"}, where)
        named = node.get("examples")
        if isinstance(named, dict) and "schema" in node:
            for key, value in named.items():
                if isinstance(value, dict) and "$ref" in value:  # "#/components/examples/X"
                    value = components.get("examples", {}).get(value["$ref"].rsplit("/", 1)[-1], {})
                if isinstance(value, dict) and "value" in value:
                    check(value["value"], node["schema"], "%s/examples/%s" % (where, key))
        for key, value in node.items():
            if key not in ("example", "examples"):
                walk(value, "%s/%s" % (where, key.replace("~", "~0").replace("/", "~1")))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            walk(value, "%s/%d" % (where, i))
walk(doc, "#")
for failure in failures:
    print(failure)
print("%d examples checked, %d do not match their schema" % (checked, len(failures)))
sys.exit(1 if failures or not checked else 0)
EOF
}
step examples exit_ok examples

# 3. Linters.

step redocly redocly_check redocly lint "$spec" --config "$redocly_config" --format=json --max-problems 100000
step spectral exit_ok spectral lint "$spec" --ruleset "$spectral_ruleset" --format text --fail-severity hint --verbose

# 4. openapi-python-client.
step openapi-python-client opc_check openapi-python-client generate --path "$spec" \
    --config "$script_dir/openapi-python-client.yaml" \
    --output-path "$out/python" --meta poetry --fail-on-warning --overwrite
if [[ -d $out/python ]]; then step python-compile exit_ok "$py" -m compileall -q "$out/python"; fi

# 5. openapi-typescript, and tsc --strict over scenario.ts (openapi-fetch) against its types.
mkdir -p "$out/typescript"
# --default-non-nullable false: by default openapi-typescript 7 makes every field with a
# `default` required, in request bodies too (CreateNews.draft, CreateRide.mobility_aids…),
# although the server fills them in; with it, such fields stay optional as documented.
step openapi-typescript no_warning openapi-typescript "$spec" -o "$out/typescript/schema.d.ts" \
    --default-non-nullable false
ln -sfn "$tools/node/node_modules" "$out/typescript/node_modules"
cp "$script_dir/scenario.ts" "$out/typescript/scenario.ts"
echo '{ "private": true, "type": "module" }' >"$out/typescript/package.json"
cat >"$out/typescript/tsconfig.json" <<'EOF'
{
  "compilerOptions": {
    "target": "ES2022", "module": "ESNext", "moduleResolution": "Bundler",
    "lib": ["ES2022", "DOM"], "types": ["node"], "outDir": "dist",
    "strict": true, "noUncheckedIndexedAccess": true, "exactOptionalPropertyTypes": true
  },
  "files": ["scenario.ts", "schema.d.ts"]
}
EOF
step tsc exit_ok tsc -p "$out/typescript/tsconfig.json" --pretty false

# 6. openapi-generator (spec validation stays on).
step openapi-generator-validate oag_validate_check openapi-generator-cli validate -i "$spec" --recommend
for g in $oag_generators; do
    step "openapi-generator-$g" oag_check openapi-generator-cli generate -i "$spec" -g "$g" -o "$out/oag-$g"
done
if [[ -d $out/oag-python ]]; then step oag-python-compile exit_ok "$py" -m compileall -q "$out/oag-python"; fi

# 7. The scenario with the generated Python and TypeScript clients against a live server.
if [[ -n ${DORFAPP_BIN:-} ]]; then
    [[ -x $DORFAPP_BIN ]] || die "DORFAPP_BIN is not an executable: $DORFAPP_BIN"
    data=$(mktemp -d)
    base=http://127.0.0.1:$scenario_port
    admin_email=clients-admin@example.org admin_password=Clients-Admin-Passwort-2026
    # ical_check.py publishes six events per run as the admin; the default quota is 20 an hour.
    DORFAPP_QUOTA_EVENTS_PER_AUTHOR_PER_HOUR=1000 \
    DORFAPP_DATA_DIR=$data DORFAPP_BIND=127.0.0.1:$scenario_port DORFAPP_LOG=warn \
        DORFAPP_ADMIN_EMAIL=$admin_email DORFAPP_ADMIN_PASSWORD=$admin_password \
        "$DORFAPP_BIN" serve >"$out/logs/server.log" 2>&1 &
    server=$!
    # shellcheck disable=SC2064 # expand now: the values are fixed
    trap "kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf '$data'" EXIT
    for _ in $(seq 1 150); do
        curl -fsS "$base/health/ready" >/dev/null 2>&1 && break
        sleep 0.2
    done
    step scenario-python exit_ok env PYTHONPATH="$out/python" \
        "$py" "$script_dir/scenario.py" "$base" "$admin_email" "$admin_password"
    step scenario-typescript exit_ok \
        node "$out/typescript/dist/scenario.js" "$base" "$admin_email" "$admin_password"
    step ical-check exit_ok \
        "$py" "$script_dir/ical_check.py" "$base" "$admin_email" "$admin_password"
    if ! kill -0 "$server" 2>/dev/null; then
        echo "   the server died during the scenarios; see $out/logs/server.log"
        failed+=(server)
    fi
fi

# ---------------------------------------------------------------- verdict
echo
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "clients.sh: ${#failed[@]} step(s) failed: ${failed[*]} (logs in $out/logs)"
    exit 1
fi
echo "clients.sh: all clients generated, no findings (logs in $out/logs)"
