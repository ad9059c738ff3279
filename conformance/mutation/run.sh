#!/usr/bin/env bash
# The conformance catalogue's mutation score (issue 18): Stryker.NET mutates the server's and the protocol library's
# security-critical code and runs only conformance/tests/MutationSuite.cs (the whole catalogue against the in-process
# reference server) against each mutant. On demand, not in CI: it takes tens of minutes per file on 2 cores.
#   conformance/mutation/run.sh server|protocol [GLOB ...]    e.g. run.sh server '**/Sessions/ServiceMessageHandler.cs'
# Reports go to conformance/mutation/reports/TARGET/TIME/ (HTML, JSON, Markdown), one folder per run.
set -euo pipefail
cd "$(dirname "$0")/../.."
target=${1:?usage: run.sh server|protocol [GLOB ...]}; shift || true
case "$target" in
    server) project=server; csproj=Testbed.Server.csproj
            default=('**/Sessions/EncryptedMessageProcessor.cs' '**/Sessions/ServiceMessageHandler.cs') ;;
    protocol) project=protocol; csproj=Testbed.Protocol.csproj
            default=('**/Sessions/SessionAdmission.cs' '**/Handshake/HandshakeServer.cs' '**/Envelope/MessageEnvelope.cs') ;;
    *) echo "run.sh: the target is server or protocol, not '$target'" >&2; exit 2 ;;
esac
globs=("${@:-${default[@]}}")
dotnet tool restore >/dev/null
mutate=$(printf '"%s",' "${globs[@]}"); mutate="[${mutate%,}]"
out="$PWD/conformance/mutation/reports/$target/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
config=$(mktemp --suffix=.json)
# ignore-methods: the mutants inside these calls' arguments change only what goes to the security log (a refusal's
# reason, an event's name and detail), never what the client is sent; docs/mutation.md counts them as excluded.
# (The code arguments beside them are constants or variables, which Stryker does not mutate, except -404's sign in
# EncryptedOutcome, which the catalogue kills and this leaves uncounted.)
cat >"$config" <<JSON
{
  "stryker-config": {
    "project": "$csproj",
    "test-projects": [ "$PWD/conformance/tests/Testbed.Conformance.Tests.csproj" ],
    "mutate": $mutate,
    "test-case-filter": "FullyQualifiedName~MutationSuite",
    "ignore-methods": [ "*Refuse", "AdmissionVerdict.ctor", "EncryptedOutcome.ctor" ],
    "coverage-analysis": "off",
    "concurrency": 1,
    "additional-timeout": 20000,
    "reporters": [ "progress", "html", "json", "markdown" ]
  }
}
JSON
cd "$project"
dotnet stryker --config-file "$config" --output "$out"
# The survivors, one line each (file:line, mutator, what replaced the code): each needs a case, an argued
# equivalence or a justified exclusion (docs/mutation.md).
report=$(find "$out" -name mutation-report.json | head -1)
if [[ -n "$report" ]] && ! command -v jq >/dev/null; then
    echo "run.sh: jq is not installed (apt-get install -y jq), so the survivors are not listed; see $report" >&2
elif [[ -n "$report" ]]; then
    echo "survivors:"
    jq -r '.files | to_entries[] | .key as $file | .value.mutants[] | select(.status == "Survived" or .status == "NoCoverage")
        | "\($file | sub(".*/(server|protocol)/"; "")):\(.location.start.line) \(.mutatorName): \(.replacement | gsub("\\s+"; " ") | .[0:120])"' "$report"
fi
