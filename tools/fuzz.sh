#!/usr/bin/env bash
# Runs one fuzz target under AFL++ for a bounded time (docs/security.md, Fuzzing).
#   tools/fuzz.sh TARGET SECONDS        e.g. tools/fuzz.sh tar 300
#   tools/fuzz.sh --list                the targets
# Builds the harness (fuzz/CernVM.Preserve.Fuzz) into out/fuzz/bin, has SharpFuzz instrument the product's
# assemblies there (once per build), seeds AFL++ with fuzz/corpus/TARGET and writes its findings to
# out/fuzz/TARGET (resumed by the next run). At the end it prints AFL's figures and replays every crash and
# hang through the harness, which prints the exception; a real one becomes a file in fuzz/regressions/TARGET.
# Runs niced: the machine is shared. Needs afl++ (Debian package) and the local dotnet tools (.config).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=out/fuzz/bin
dll=$bin/CernVM.Preserve.Fuzz.dll
plain=out/fuzz/plain

build() {
  if [[ ! -f $bin/.instrumented || ! -d $plain || -n $(find src fuzz/CernVM.Preserve.Fuzz -name '*.cs' -not -path '*/obj/*' -newer $bin/.instrumented -print -quit) ]]; then
    rm -rf "$bin"
    dotnet publish fuzz/CernVM.Preserve.Fuzz -c Release -o "$bin" -nologo -v quiet >&2
    # An uninstrumented copy replays findings: instrumented code fails outside SharpFuzz's entry points.
    rm -rf "$plain"
    cp -r "$bin" "$plain"
    dotnet tool restore >/dev/null
    for a in "$bin"/CernVM.Preserve.*.dll; do
      [[ $a == "$dll" ]] && continue
      dotnet sharpfuzz "$a" >/dev/null
    done
    touch "$bin/.instrumented"
  fi
}

if [[ ${1:-} == --list ]]; then
  build
  dotnet "$plain/CernVM.Preserve.Fuzz.dll" --list
  exit 0
fi

target=${1:?usage: tools/fuzz.sh TARGET SECONDS}
seconds=${2:?usage: tools/fuzz.sh TARGET SECONDS}
[[ -d fuzz/corpus/$target ]] || { echo "no seed corpus fuzz/corpus/$target (tools/fuzz.sh --list)" >&2; exit 2; }
command -v afl-fuzz >/dev/null || { echo "afl-fuzz is missing: apt-get install afl++" >&2; exit 2; }
build

findings=out/fuzz/$target
mkdir -p "$findings"
# A dictionary of the format's tokens (fuzz/dictionaries) for the text formats: AFL++ splices them in, which
# reaches member names and keywords that bit flips take long to find.
dict=()
case $target in
  manifest|audit-manifest|event|signature|archive-descriptor|package-list|image) dict=(-x fuzz/dictionaries/json.dict) ;;
  spec) dict=(-x fuzz/dictionaries/yaml.dict) ;;
  grub-legacy|grub2|extlinux) dict=(-x fuzz/dictionaries/bootloader.dict) ;;
  cmdline) dict=(-x fuzz/dictionaries/cmdline.dict) ;;
  cvmfs-manifest|cvmfs-whitelist) dict=(-x fuzz/dictionaries/cvmfs.dict) ;;
esac
# AFL_SKIP_BIN_CHECK: the target is `dotnet`, not a binary built by afl-cc; SharpFuzz speaks AFL's fork
# server protocol itself. -m none: the runtime reserves far more address space than AFL's default allows.
# -t: milliseconds per input; the first inputs also pay the JIT.
AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_AUTORESUME=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
  nice -n 19 afl-fuzz -V "$seconds" -t 10000 -m none "${dict[@]}" -i "fuzz/corpus/$target" -o "$findings" -- dotnet "$dll" "$target" \
  > "$findings/afl.log" 2>&1 || { tail -30 "$findings/afl.log" >&2; exit 1; }

stats=$findings/default/fuzzer_stats
for k in run_time execs_done execs_per_sec corpus_count bitmap_cvg saved_crashes saved_hangs; do
  printf '%-14s %s\n' "$k" "$(sed -n "s/^$k *: //p" "$stats")"
done
shopt -s nullglob
found=("$findings"/default/crashes/id:* "$findings"/default/hangs/id:*)
if ((${#found[@]} > 0)); then
  echo "replaying ${#found[@]} crash/hang inputs (first line of each outcome):"
  for f in "${found[@]}"; do
    set +e
    timeout 60 dotnet "$plain/CernVM.Preserve.Fuzz.dll" "$target" "$f" > "$findings/replay.txt" 2>&1
    status=$?
    set -e
    head -3 "$findings/replay.txt"
    if ((status == 124)); then echo "$f: still runs after 60 s: a hang"; fi
  done
fi
