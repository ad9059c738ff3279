#!/usr/bin/env bash
# Fuzzes one target with AFL++ for SECONDS (default 60) on a fresh machine or an old one:
#   fuzz/run.sh TARGET [SECONDS]       (fuzz/run.sh list shows the targets)
# Installs afl++ (apt-get) and the SharpFuzz instrumentation tool (into fuzz/.tools) when missing, builds, instruments
# Testbed.Protocol.dll after the build, writes the seed corpus and dictionary, runs afl-fuzz, prints execs/s, paths
# and crashes, and copies each new crash, minimized, into fuzz/regressions/TARGET/. Exit 1 when a new crash was found.
set -euo pipefail
cd "$(dirname "$0")"
target=${1:?usage: fuzz/run.sh TARGET [SECONDS]}
seconds=${2:-60}
out=.work/$target
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

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
dotnet build Testbed.Fuzz.csproj -c Release -o .work/bin -v quiet -nologo >/dev/null
bin=.work/bin
if [ "$target" = list ]; then dotnet $bin/Testbed.Fuzz.dll list; exit 0; fi

# Seeds and dictionary first: the instrumented library only runs under AFL (it writes AFL's shared memory).
rm -rf "$out" && mkdir -p "$out"
dotnet $bin/Testbed.Fuzz.dll seeds "$target" "$out/corpus"
dotnet $bin/Testbed.Fuzz.dll dict "$target" "$out/dict"
dict=(); [ -s "$out/dict" ] && dict=(-x "$out/dict")

# Instrument the library under test, not the target: every build replaces the dll, so this runs after each build.
.tools/sharpfuzz $bin/Testbed.Protocol.dll >/dev/null 2>&1 || true
.tools/sharpfuzz $bin/testbed-server.dll Testbed.Server >/dev/null 2>&1 || true   # for the dispatch target

echo "== afl-fuzz $target for $seconds s"
AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
    afl-fuzz -i "$out/corpus" -o "$out/findings" "${dict[@]}" -t 10000 -m none -V "$seconds" \
    -- dotnet $bin/Testbed.Fuzz.dll run "$target" >"$out/afl.log" 2>&1 || { tail -20 "$out/afl.log"; exit 2; }

stats=$out/findings/default/fuzzer_stats
execs=$(sed -n 's/^execs_done *: *//p' "$stats"); rate=$(sed -n 's/^execs_per_sec *: *//p' "$stats")
paths=$(sed -n 's/^corpus_count *: *//p' "$stats"); crashes=$(sed -n 's/^saved_crashes *: *//p' "$stats")
echo "$target: $execs execs, $rate execs/s, $paths paths, $crashes crashes in $seconds s"

new=0
for crash in "$out"/findings/default/crashes/id:*; do
    [ -e "$crash" ] || continue
    mkdir -p "regressions/$target"
    name=regressions/$target/$(sha256sum "$crash" | cut -c1-16)
    [ -e "$name" ] && continue
    AFL_SKIP_BIN_CHECK=1 afl-tmin -i "$crash" -o "$name" -t 10000 -m none -- dotnet $bin/Testbed.Fuzz.dll run "$target" >/dev/null 2>&1 || cp "$crash" "$name"
    echo "new crash: $name"; xxd "$name" | head -20
    new=$((new + 1))
done
[ "$new" -eq 0 ]
