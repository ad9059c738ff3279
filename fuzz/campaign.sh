#!/usr/bin/env bash
# A short real campaign over every target (what .ci/run does): fuzz/campaign.sh [SECONDS per target, default 20]
# [--jobs N] (AFL++'s parallel mode on N cores for each target, as in run.sh).
# Fails when any target finds a new crash; run.sh prints each crashing input in hex and keeps it in fuzz/regressions/.
set -uo pipefail
cd "$(dirname "$0")"
seconds=${1:-20}
jobs=(); [ "${2:-}" = --jobs ] && jobs=(--jobs "${3:?--jobs needs a number}")
status=0
# The targets, then one build and one instrumentation for all of them (a build per target cost about 5 s each); the
# list comes first because any build replaces the instrumented library.
bash run.sh list >/dev/null && targets=$(dotnet .work/bin/Testbed.Fuzz.dll list | awk '{print $1}') && bash run.sh prepare >/dev/null || exit 2
for target in $targets; do
    bash run.sh "$target" "$seconds" "${jobs[@]}" --prepared | tail -n +2 || status=1
done
exit $status
