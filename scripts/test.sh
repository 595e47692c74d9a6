#!/usr/bin/env bash
# Installs what the tests need (when missing), builds the solution, runs every test project,
# prints a summary and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n=== %s\n' "$*"; }

# --- system packages -------------------------------------------------------------------------
# Each entry: "<command or file that proves it is installed>:<debian package>".
need=(
  "/usr/sbin/postfix:postfix"
  "/usr/sbin/smtp-sink:postfix"
  "/usr/bin/swaks:swaks"
  "/usr/sbin/dnsmasq:dnsmasq"
  "/usr/bin/dig:dnsutils"
  "/usr/bin/python3:python3"
  "/usr/bin/psql:postgresql"
  "/usr/sbin/opendkim:opendkim"
  "/usr/sbin/opendkim-testkey:opendkim-tools"
  # The strict judge of /metrics (tests run it with /usr/bin/python3).
  "/usr/lib/python3/dist-packages/prometheus_client/parser.py:python3-prometheus-client"
  # The status page test's browser: Playwright's bundled driver (it needs only libc) drives Debian's
  # Chromium, since Playwright's own browser download cannot be had offline; a font to render its text.
  "/usr/bin/chromium:chromium"
  "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:fonts-dejavu-core"
)
missing=()
for entry in "${need[@]}"; do
  probe=${entry%%:*}; pkg=${entry##*:}
  if [ ! -e "$probe" ] && ! command -v "$(basename "$probe")" >/dev/null 2>&1; then
    [[ " ${missing[*]} " == *" $pkg "* ]] || missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  # Postfix asks how to configure itself; tests write their own main.cf.
  echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null || {
    echo "apt-get install failed" >&2; exit 1; }
fi
# The Debian packages may start a system-wide postfix or dnsmasq on install. They are left alone:
# tests run their own instances on free loopback ports, stop only those (by pid), and never need
# port 25 or 53 to be free.

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# Playwright never fetches a browser here: the tests launch /usr/bin/chromium.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

# --- build -----------------------------------------------------------------------------------
log "building MtaCluster.sln (Release)"
if ! dotnet build MtaCluster.sln -c Release -nologo -v q -clp:ErrorsOnly; then
  echo "build failed" >&2
  exit 1
fi

# --- tests -----------------------------------------------------------------------------------
# Most end-to-end tests wait on real peers (timers, retries, leases) rather than compute, so the
# longest project runs in a lane of its own beside the others: TEST_LANES=1 runs them one by one.
results=$(mktemp -d)
lanes=${TEST_LANES:-2}
long_project=tests/MtaCluster.Node.Tests/MtaCluster.Node.Tests.csproj

# Runs one test project; its log goes to $results/<name>.log, "passed failed skipped seconds" to
# $results/<name>.counts. With "quiet" it prints nothing but its closing line (it runs in a lane
# beside another that shows its progress).
run_project() {
  local proj=$1 mode=${2:-} name start out rc p f s
  name=$(basename "$proj" .csproj)
  start=$(date +%s)
  out="$results/$name.log"
  if [ "$mode" = quiet ]; then
    dotnet test "$proj" -c Release --no-build -nologo \
      --logger "console;verbosity=normal" --results-directory "$results/$name" \
      --blame-hang-timeout 5m >"$out" 2>&1
    rc=$?
  else
    log "testing $name"
    dotnet test "$proj" -c Release --no-build -nologo \
      --logger "console;verbosity=normal" --results-directory "$results/$name" \
      --blame-hang-timeout 5m 2>&1 | tee "$out" | grep -E '^\s*(Failed |Passed!|Failed!|Skipped |Error Message|  [A-Z][a-zA-Z]+Exception)' || true
    rc=${PIPESTATUS[0]}
  fi
  # The console logger's closing block: "Total tests: N" then "Passed: N", "Failed: N", "Skipped: N" lines.
  p=$(sed -nE 's/^ *Passed: *([0-9]+).*/\1/p' "$out" | tail -n 1)
  f=$(sed -nE 's/^ *Failed: *([0-9]+).*/\1/p' "$out" | tail -n 1)
  s=$(sed -nE 's/^ *Skipped: *([0-9]+).*/\1/p' "$out" | tail -n 1)
  p=${p:-0}; f=${f:-0}; s=${s:-0}
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # a crash or hang counts as a failure
  echo "$p $f $s $(( $(date +%s) - start ))" >"$results/$name.counts"
  echo "--- $name: $p passed, $f failed, $s skipped in $(( $(date +%s) - start ))s"
}

projects=(tests/*.Tests/*.Tests.csproj)
lane_pid=""
if [ "$lanes" -gt 1 ] && [ -f "$long_project" ]; then
  log "testing $(basename "$long_project" .csproj) in a lane of its own (its log is printed when it ends)"
  run_project "$long_project" quiet &
  lane_pid=$!
fi
for proj in "${projects[@]}"; do
  [ -n "$lane_pid" ] && [ "$proj" = "$long_project" ] && continue
  run_project "$proj"
done
if [ -n "$lane_pid" ]; then
  wait "$lane_pid"
  name=$(basename "$long_project" .csproj)
  log "$name (ran beside the others)"
  grep -E '^\s*(Failed |Passed!|Failed!|Skipped |Error Message|  [A-Z][a-zA-Z]+Exception)' "$results/$name.log" || true
fi

total_passed=0; total_failed=0; total_skipped=0; failed_projects=()
for counts in "$results"/*.counts; do
  read -r p f s _ <"$counts"
  total_passed=$((total_passed + p)); total_failed=$((total_failed + f)); total_skipped=$((total_skipped + s))
  [ "$f" -gt 0 ] && failed_projects+=("$(basename "$counts" .counts)")
done

# Each failure's message and the top of its stack, so a red run says what broke without its logs.
for name in "${failed_projects[@]}"; do
  log "failures in $name"
  awk '/^ *Failed [A-Za-z]/ { show = 1; lines = 0 }
       /^ *(Passed|Skipped) [A-Za-z]/ { show = 0 }
       show && lines < 30 { print; lines++ }' "$results/$name.log"
done

log "summary"
if [ ${#failed_projects[@]} -gt 0 ]; then echo "failing projects: ${failed_projects[*]}"; fi
echo "tests: $total_passed passed, $total_failed failed, $total_skipped skipped"
[ "$total_failed" -eq 0 ] && [ "$total_passed" -gt 0 ]
