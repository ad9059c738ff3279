#!/usr/bin/env bash
# A short real campaign over every target (what .ci/run does): fuzz/campaign.sh [SECONDS per target, default 20]
# [--jobs N] (AFL++'s parallel mode on N cores for each target, as in run.sh).
# Fails when any target finds a new crash; run.sh prints each crashing input in hex and keeps it in fuzz/regressions/.
set -uo pipefail
cd "$(dirname "$0")"
seconds=${1:-20}
jobs=(); [ "${2:-}" = --jobs ] && jobs=(--jobs "${3:?--jobs needs a number}")
status=0
bash run.sh list >/dev/null
for target in $(dotnet .work/bin/Testbed.Fuzz.dll list | awk '{print $1}'); do
    bash run.sh "$target" "$seconds" "${jobs[@]}" | tail -n +3 || status=1
done
exit $status
