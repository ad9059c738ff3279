#!/usr/bin/env bash
# A short real campaign over every target (what .ci/run does): fuzz/campaign.sh [SECONDS per target, default 20].
# Fails when any target finds a new crash; run.sh prints each crashing input in hex and keeps it in fuzz/regressions/.
set -uo pipefail
cd "$(dirname "$0")"
seconds=${1:-20}
status=0
bash run.sh list >/dev/null
for target in $(dotnet .work/bin/Testbed.Fuzz.dll list | awk '{print $1}'); do
    bash run.sh "$target" "$seconds" | tail -n +3 || status=1
done
exit $status
