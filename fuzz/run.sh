#!/usr/bin/env bash
# Fuzzes one target with AFL++ for SECONDS (default 60) on a fresh machine or an old one:
#   fuzz/run.sh TARGET [SECONDS] [--jobs N]       (fuzz/run.sh list shows the targets)
#   fuzz/run.sh prepare                           (builds once and writes every target's inputs, for --prepared)
#   fuzz/run.sh TARGET [SECONDS] [--jobs N] --prepared   (skips the build: what fuzz/campaign.sh runs after prepare)
# With --jobs N, AFL++'s parallel mode: one main instance (-M main) and N-1 secondaries (-S sec2 ...) sharing the
# sync directory .work/TARGET/findings, each on a core of its own (AFL++ binds each to a free core).
# Installs afl++ (apt-get) and the SharpFuzz instrumentation tool (into fuzz/.tools) when missing, builds, writes the
# seed corpus and dictionary, instruments Testbed.Protocol.dll after the build, runs afl-fuzz, prints execs/s, paths
# and crashes, and copies each new crash, minimized, into fuzz/regressions/TARGET/. Exit 1 when a new crash was found.
set -euo pipefail
cd "$(dirname "$0")"
usage="usage: fuzz/run.sh TARGET [SECONDS] [--jobs N] [--prepared]"
target=${1:?$usage}
shift
seconds=60
jobs=1
prepared=0
while [ $# -gt 0 ]; do
    case $1 in
        --jobs) jobs=${2:-}; shift 2 || { echo "fuzz/run.sh: --jobs needs a number; $usage" >&2; exit 2; } ;;
        --prepared) prepared=1; shift ;;
        *) seconds=$1; shift ;;
    esac
done
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "fuzz/run.sh: SECONDS must be a positive whole number, not '$seconds'; $usage" >&2; exit 2; }
[[ $jobs =~ ^[1-9][0-9]*$ ]] && [ "$jobs" -le 64 ] || { echo "fuzz/run.sh: --jobs must be 1 to 64, not '$jobs'; $usage" >&2; exit 2; }
out=.work/$target
bin=.work/bin
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# Seeds and dictionary of one target, written before instrumenting: the instrumented library only runs under AFL (it
# writes AFL's shared memory).
write_inputs() { # TARGET
    rm -rf ".work/$1" && mkdir -p ".work/$1"
    dotnet $bin/Testbed.Fuzz.dll seeds "$1" ".work/$1/corpus"
    dotnet $bin/Testbed.Fuzz.dll dict "$1" ".work/$1/dict"
}

# Instrument the library under test, not the target: every build replaces the dll, so this runs after each build.
instrument() {
    .tools/sharpfuzz $bin/Testbed.Protocol.dll >/dev/null 2>&1 || true
    .tools/sharpfuzz $bin/testbed-server.dll Testbed.Server >/dev/null 2>&1 || true   # for the dispatch target
}

if [ "$prepared" -eq 1 ]; then
    # Built and instrumented by `run.sh prepare`; only this target's findings of an earlier run are cleared.
    [ -s "$out/corpus/$(ls "$out/corpus" 2>/dev/null | head -n 1)" ] && [ -f "$bin/Testbed.Fuzz.dll" ] \
        || { echo "fuzz/run.sh: --prepared, but $out/corpus is missing or empty: run fuzz/run.sh prepare first" >&2; exit 2; }
    rm -rf "$out/findings"
else
    if ! command -v afl-fuzz >/dev/null 2>&1; then
        echo "== installing afl++"
        if [ "$(id -u)" -eq 0 ]; then apt=(apt-get); else apt=(sudo apt-get); fi
        "${apt[@]}" update -qq && DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq afl++
    fi
    if [ ! -x .tools/sharpfuzz ]; then
        echo "== installing SharpFuzz.CommandLine 2.3.0"
        dotnet tool install --tool-path .tools SharpFuzz.CommandLine --version 2.3.0 >/dev/null
    fi

    echo "== building"
    dotnet build Testbed.Fuzz.csproj -c Release -o $bin -v quiet -nologo >/dev/null
    case $target in
        list) dotnet $bin/Testbed.Fuzz.dll list; exit 0 ;;
        prepare)
            for each in $(dotnet $bin/Testbed.Fuzz.dll list | awk '{print $1}'); do write_inputs "$each"; done
            instrument
            exit 0 ;;
    esac
    write_inputs "$target"
    instrument
fi
dict=(); [ -s "$out/dict" ] && dict=(-x "$out/dict")

fuzz() { # ROLE LOG: one afl-fuzz instance; ROLE is empty (a lone instance), -M main or -S secK
    AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
        afl-fuzz -i "$out/corpus" -o "$out/findings" $1 "${dict[@]}" -t 10000 -m none -V "$seconds" \
        -- dotnet $bin/Testbed.Fuzz.dll run "$target" >"$2" 2>&1 || { tail -20 "$2"; return 2; }
}

echo "== afl-fuzz $target for $seconds s on $jobs core(s)"
if [ "$jobs" -eq 1 ]; then
    fuzz "" "$out/afl.log" || exit 2
else
    pids=()
    fuzz "-M main" "$out/afl-main.log" & pids+=($!)
    for k in $(seq 2 "$jobs"); do
        sleep 1 # the main instance claims its core first
        fuzz "-S sec$k" "$out/afl-sec$k.log" & pids+=($!)
    done
    failed=0
    for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
    [ "$failed" -eq 0 ] || exit 2
fi

# Summed over the instances (one, or the main and its secondaries); paths are the main instance's corpus, which
# imports what the secondaries find.
sum() { cat "$out"/findings/*/fuzzer_stats | sed -n "s/^$1 *: *//p" | awk '{s += $1} END {printf "%.0f", s}'; }
execs=$(sum execs_done); rate=$(sum execs_per_sec); crashes=$(sum saved_crashes)
lead=$out/findings/default; [ "$jobs" -eq 1 ] || lead=$out/findings/main
paths=$(sed -n 's/^corpus_count *: *//p' "$lead/fuzzer_stats")
echo "$target: $execs execs, $rate execs/s, $paths paths, $crashes crashes in $seconds s"

new=0
for crash in "$out"/findings/*/crashes/id:*; do
    [ -e "$crash" ] || continue
    mkdir -p "regressions/$target"
    name=regressions/$target/$(sha256sum "$crash" | cut -c1-16)
    [ -e "$name" ] && continue
    AFL_SKIP_BIN_CHECK=1 afl-tmin -i "$crash" -o "$name" -t 10000 -m none -- dotnet $bin/Testbed.Fuzz.dll run "$target" >/dev/null 2>&1 || cp "$crash" "$name"
    echo "new crash: $name"; xxd "$name" | head -20
    new=$((new + 1))
done
[ "$new" -eq 0 ]
