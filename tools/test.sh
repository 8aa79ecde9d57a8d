#!/usr/bin/env bash
# Runs every test of the project, after installing what the tests need. Prints a final line
# "N passed, N failed, N skipped" and exits non-zero on any failure.
#   tools/test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Fidelity]
set -uo pipefail
cd "$(dirname "$0")/.."

tools/install-test-deps.sh || { echo "0 passed, 1 failed"; echo "could not install the test dependencies" >&2; exit 1; }

results="out/test-results"
rm -rf "$results"
mkdir -p "$results"

dotnet build CernVM.Preserve.sln -c Release -nologo -v quiet || { echo "0 passed, 1 failed"; echo "build failed" >&2; exit 1; }
# The CLI tests run the published executable (native code, as users get it): CVMPRESERVE_CLI names it.
rm -rf out/cli
dotnet publish src/CernVM.Preserve.Cli -c Release -o out/cli -nologo -v quiet || { echo "0 passed, 1 failed"; echo "publish failed" >&2; exit 1; }
export CVMPRESERVE_CLI="$PWD/out/cli/cvmpreserve"

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

echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0))
