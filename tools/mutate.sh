#!/usr/bin/env bash
# Mutation testing with Stryker.NET (docs/security.md, Mutation testing): mutates one source project and runs
# its tests against every mutant; a mutant the tests do not notice ("survived") is a line no test really checks.
#   tools/mutate.sh PROJECT [GLOB...]       e.g. tools/mutate.sh Core 'Format/ManifestCodec.cs'
# PROJECT is Core, Catalog, Storage or Engine (src/CernVM.Preserve.PROJECT). GLOBs, relative to the project
# folder, limit the files mutated (a whole project takes hours on two cores); without them every file is.
# Environment:
#   MUTATE_TESTS    test projects to run, space-separated (default: tests/CernVM.Preserve.PROJECT.Tests)
#   MUTATE_FILTER   a dotnet test filter, to run only the tests that concern the files mutated
#   MUTATE_SECONDS  a bound on the whole run (default: none); a run cut short reports nothing
# Reports (html, json, and the text table) go to out/mutate/PROJECT; the last lines printed are the score.
# Runs niced, one test process at a time: the machine is shared.
set -euo pipefail
cd "$(dirname "$0")/.."
project=${1:?usage: tools/mutate.sh PROJECT [GLOB...]}
shift
[[ -f src/CernVM.Preserve.$project/CernVM.Preserve.$project.csproj ]] || { echo "no project src/CernVM.Preserve.$project" >&2; exit 2; }
root=$PWD
tests=${MUTATE_TESTS:-tests/CernVM.Preserve.$project.Tests}
args=(--project "CernVM.Preserve.$project.csproj" --configuration Release --concurrency 1
      --reporter progress --reporter cleartext --reporter json --reporter html
      --output "$root/out/mutate/$project" --skip-version-check)
for t in $tests; do args+=(--test-project "$root/$t/$(basename "$t").csproj"); done
for g in "$@"; do args+=(--mutate "**/CernVM.Preserve.$project/$g"); done
[[ -n ${MUTATE_FILTER:-} ]] && args+=(--test-case-filter "$MUTATE_FILTER")
dotnet tool restore >/dev/null
cd "$(echo "$tests" | cut -d' ' -f1)"
bound=()
[[ -n ${MUTATE_SECONDS:-} ]] && bound=(timeout "$MUTATE_SECONDS")
"${bound[@]}" nice -n 19 dotnet dotnet-stryker "${args[@]}"
