#!/usr/bin/env bash
# Runs every test of the project, after installing what the tests need. Prints a final line
# "N passed, N failed, N skipped" and exits non-zero on any failure.
#   tools/test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Fidelity]
set -uo pipefail
cd "$(dirname "$0")/.."
source tools/steps.sh
tests_start=$(now_ms)

tools/install-test-deps.sh || { echo "0 passed, 1 failed"; echo "could not install the test dependencies" >&2; exit 1; }

results="out/test-results"
rm -rf "$results"
mkdir -p "$results"

step "building the solution" "about 2-4 min the first time on two cores, NuGet packages included; under a minute when little changed" \
  quietly dotnet build CernVM.Preserve.sln -c Release -nologo -v quiet || { echo "0 passed, 1 failed"; echo "build failed" >&2; exit 1; }
# The CLI tests run the published executable (native code, as users get it): CVMPRESERVE_CLI names it.
rm -rf out/cli
step "publishing cvmpreserve into out/cli (one native executable, what the CLI tests run)" "about 1-3 min" \
  quietly dotnet publish src/CernVM.Preserve.Cli -c Release -o out/cli -nologo -v quiet || { echo "0 passed, 1 failed"; echo "publish failed" >&2; exit 1; }
export CVMPRESERVE_CLI="$PWD/out/cli/cvmpreserve"

# dotnet test prints each failure as it happens and a line per test project.
step "running every test" "about 10-20 min on two cores; the S3 tests start a Ceph gateway" \
  dotnet test CernVM.Preserve.sln -c Release --no-build -nologo \
  --logger "trx" --logger "console;verbosity=minimal" --results-directory "$results" "$@"
status=$?

passed=0; failed=0; skipped=0; files=0
for trx in "$results"/*.trx; do
  [[ -f "$trx" ]] || continue
  files=$((files + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  get() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
  skipped=$((skipped + $(get notExecuted)))
done

if ((files == 0)) || ((passed == 0)); then
  failed=$((failed + 1))
  echo "no test results were produced" >&2
fi

if ((status != 0)) && ((failed == 0)); then
  failed=1
  echo "dotnet test exited with $status" >&2
fi

echo "all of it took $(format_duration $(($(now_ms) - tests_start)))"
echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0))
