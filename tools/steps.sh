# Sourced by tools/demo.sh, tools/test.sh and tools/install-test-deps.sh: each long step says what it does
# and roughly how long it takes, then how long it took; the tools' own chatter (apt's progress, debconf's
# notices, dotnet's banner) goes to a log that is shown only when the step fails, so real errors stay visible.
#   step "building cvmpreserve" "about 2-4 min the first time" quietly dotnet publish …
# Durations are written as the tool writes them (docs/CLI.md §Sizes and durations): 974 ms, 12.1 s, 1 min 3 s.

# No first-run banner or telemetry notice from dotnet, no debconf warnings or questions from apt.
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes

# Milliseconds since the epoch.
now_ms() { date +%s%3N; }

# format_duration MS: 974 ms, 12.1 s, 1 min 3 s, 2 h 5 min (rounded once, at the precision printed).
format_duration() {
  local ms=$1
  if ((ms < 1000)); then
    echo "$ms ms"
  elif (((ms + 50) / 100 < 600)); then
    local tenths=$(((ms + 50) / 100))
    echo "$((tenths / 10)).$((tenths % 10)) s"
  elif (((ms + 500) / 1000 < 3600)); then
    local s=$(((ms + 500) / 1000))
    echo "$((s / 60)) min $((s % 60)) s"
  else
    local m=$(((ms + 30000) / 60000))
    echo "$((m / 60)) h $((m % 60)) min"
  fi
}

# Lines that are tool chatter, not errors: left out even of a failed step's log.
without_noise() {
  grep -v -E -e '^debconf: (delaying package configuration, since apt-utils is not installed|unable to initialize frontend|\(Dialog frontend|falling back to frontend)' \
    -e '^dpkg-preconfigure: unable to re-open stdin' \
    -e '^(Reading package lists|Building dependency tree|Reading state information)' \
    -e '^(Selecting previously unselected package|Preparing to unpack|Unpacking|Setting up|Processing triggers for) ' \
    -e '^\(Reading database' || true
}

# quietly CMD…: runs CMD with its output kept in a log (works under set -e too); on failure the log (without the
# chatter) goes to stderr, and CMD's exit status is returned (step names the step and the status).
quietly() {
  local log status
  log=$(mktemp "${TMPDIR:-/tmp}/cvmpreserve-step-XXXXXX.log")
  status=0
  "$@" >"$log" 2>&1 || status=$?
  if ((status != 0)); then
    without_noise <"$log" >&2
  fi
  rm -f "$log"
  return "$status"
}

# step TITLE ESTIMATE CMD…: "== TITLE (ESTIMATE)", runs CMD, then "   done in T" or "== TITLE failed after T".
step() {
  local title=$1 estimate=$2 start status
  shift 2
  echo "== $title${estimate:+ ($estimate)}"
  start=$(now_ms)
  status=0
  "$@" || status=$?
  if ((status == 0)); then
    echo "   done in $(format_duration $(($(now_ms) - start)))"
  else
    echo "== $title failed after $(format_duration $(($(now_ms) - start))) (exit $status)" >&2
  fi
  return "$status"
}
