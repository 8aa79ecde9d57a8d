#!/usr/bin/env bash
# A throwaway one-node Ceph cluster (monitor, memstore OSD, RADOS gateway) on 127.0.0.1, for tests and
# benchmarks of S3 archives with enforced Object Lock (docs/ARCHITECTURE.md §S3). Ceph 16 (Debian 12) has
# no standalone gateway back-end, so a monitor and an OSD are needed; everything lives in memory and in DIR.
#
#   tools/ceph-rgw.sh start DIR PORT MONPORT   prints the endpoint (http://127.0.0.1:PORT) when it answers;
#                                              the pids go to DIR/pids, the S3 keys to DIR/credentials
#   tools/ceph-rgw.sh stop DIR                 kills the processes listed in DIR/pids
#
# Credentials: access key and secret from CEPH_RGW_ACCESS_KEY / CEPH_RGW_SECRET_KEY (default
# cvmpreserve / cvmpreserve-secret). Start-up takes about 15 s; it gives up after CEPH_RGW_TIMEOUT (60) s.
# TLS: with CEPH_RGW_TLS_PORT set, the gateway also serves https://127.0.0.1:TLS_PORT with a self-signed
# certificate for 127.0.0.1, written to DIR/tls.crt (give it to clients as AWS_CA_BUNDLE).
set -euo pipefail

usage() { echo "usage: $0 start DIR PORT MONPORT | stop DIR" >&2; exit 2; }

stop() {
  local dir=$1
  [[ -f $dir/pids ]] || return 0
  local pids
  pids=$(cat "$dir/pids")
  for p in $pids; do kill "$p" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    local alive=0
    for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for p in $pids; do kill -9 "$p" 2>/dev/null || true; done
  rm -f "$dir/pids"
}

fail() {
  echo "ceph-rgw: $*" >&2
  [[ -n ${D:-} ]] && { tail -n 5 "$D/log/"*.out "$D/log/mon.a.log" 2>/dev/null | grep -v '^$' | sed 's/^/  /' >&2 || true; stop "$D"; }
  exit 1
}

# Runs a daemon that forks (ceph-mon, ceph-osd, radosgw daemonise by default): keep it in the foreground
# with -f and record the pid of the process we started.
spawn() {
  local name=$1; shift
  "$@" -f >"$D/log/$name.out" 2>&1 &
  echo $! >>"$D/pids"
}

case ${1:-} in
  start)
    [[ $# -eq 4 ]] || usage
    D=$(mkdir -p "$2" && cd "$2" && pwd); PORT=$3; MONPORT=$4
    for cmd in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph; do
      command -v "$cmd" >/dev/null || fail "$cmd is not installed (apt-get install radosgw ceph-mon ceph-osd; tools/install-test-deps.sh does it)"
    done
    [[ -f $D/pids ]] && fail "$D/pids exists: a cluster may already run there (stop it first)"
    timeout=${CEPH_RGW_TIMEOUT:-60}
    deadline=$((SECONDS + timeout))
    ak=${CEPH_RGW_ACCESS_KEY:-cvmpreserve}; sk=${CEPH_RGW_SECRET_KEY:-cvmpreserve-secret}
    rm -rf "$D/run" "$D/log" "$D/mon.a" "$D/osd.0" "$D/rgw.a" "$D/monmap"
    mkdir -p "$D"/{run,log,mon.a,osd.0,rgw.a}
    : >"$D/pids"
    FSID=$(cat /proc/sys/kernel/random/uuid)
    tls=""
    if [[ -n ${CEPH_RGW_TLS_PORT:-} ]]; then
      openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
        -keyout "$D/tls.key" -out "$D/tls.crt" >"$D/log/tls.out" 2>&1 || fail "openssl could not make the test certificate"
      tls=" ssl_endpoint=127.0.0.1:$CEPH_RGW_TLS_PORT ssl_certificate=$D/tls.crt ssl_private_key=$D/tls.key"
    fi
    cat >"$D/ceph.conf" <<EOF
[global]
fsid = $FSID
mon host = v1:127.0.0.1:$MONPORT
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon warn on pool no redundancy = false
osd objectstore = memstore
memstore device bytes = 2147483648
osd crush chooseleaf type = 0
ms bind msgr2 = false
run dir = $D/run
log file = $D/log/\$name.log
admin socket = $D/run/\$name.asok
pid file = $D/run/\$name.pid
[mon.a]
mon data = $D/mon.a
public addr = 127.0.0.1
[osd.0]
osd data = $D/osd.0
public addr = 127.0.0.1
cluster addr = 127.0.0.1
# The script places the OSD in the CRUSH map itself; the OSD's own update at start-up sometimes races
# with its creation and makes it exit ("wrong fsid").
osd crush update on start = false
osd class update on start = false
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$PORT$tls
rgw data = $D/rgw.a
rgw enable usage log = false
EOF
    C=(-c "$D/ceph.conf")
    monmaptool --create --add a "v1:127.0.0.1:$MONPORT" --fsid "$FSID" "$D/monmap" >/dev/null || fail "monmaptool failed"
    ceph-mon "${C[@]}" --mkfs -i a --monmap "$D/monmap" >"$D/log/mon-mkfs.out" 2>&1 || fail "ceph-mon --mkfs failed"
    spawn mon ceph-mon "${C[@]}" -i a
    # A client that reaches the monitor before it has won its (one-member) election can be refused
    # ("EPERM: problem getting command descriptions"): wait until it leads, then retry `osd new`, which
    # is idempotent for one uuid.
    until ceph "${C[@]}" --admin-daemon "$D/run/mon.a.asok" mon_status 2>/dev/null | grep -q '"state": "leader"'; do
      ((SECONDS < deadline)) || fail "the monitor did not become leader within ${timeout}s"
      kill -0 "$(head -n 1 "$D/pids")" 2>/dev/null || fail "ceph-mon died during start-up"
      sleep 0.2
    done
    U=$(cat /proc/sys/kernel/random/uuid)
    until ID=$(timeout 30 ceph "${C[@]}" --connect-timeout 20 osd new "$U" 2>>"$D/log/osd-new.out"); do
      ((SECONDS < deadline)) || fail "ceph osd new failed until the deadline (monitor not up?)"
      sleep 0.5
    done
    ceph-osd "${C[@]}" -i "$ID" --mkfs --osd-uuid "$U" >"$D/log/osd-mkfs.out" 2>&1 || fail "ceph-osd --mkfs failed"
    spawn osd ceph-osd "${C[@]}" -i "$ID"
    # The monitor may still be settling the OSD map it just changed: each CRUSH step is retried (idempotent).
    retry() {
      local what=$1; shift
      for _ in $(seq 1 20); do
        "$@" >>"$D/log/crush.out" 2>&1 && return 0
        ((SECONDS < deadline)) || break
        sleep 0.5
      done
      fail "$what failed (see $D/log/crush.out)"
    }
    retry "crush add-bucket" ceph "${C[@]}" osd crush add-bucket localhost host
    retry "crush move" ceph "${C[@]}" osd crush move localhost root=default
    retry "crush add" ceph "${C[@]}" osd crush add "osd.$ID" 1.0 host=localhost
    spawn rgw radosgw "${C[@]}" -n client.rgw.a
    until curl -s -o /dev/null "http://127.0.0.1:$PORT/"; do
      ((SECONDS < deadline)) || fail "radosgw did not answer on 127.0.0.1:$PORT within ${timeout}s"
      for p in $(cat "$D/pids"); do kill -0 "$p" 2>/dev/null || fail "a ceph process ($p: $(grep -l "^$p\$" "$D"/run/*.pid 2>/dev/null || echo see below)) died during start-up"; done
      sleep 0.2
    done
    until radosgw-admin "${C[@]}" user create --uid=cvmpreserve --display-name=cvmpreserve \
        --access-key="$ak" --secret-key="$sk" >"$D/log/user.out" 2>&1 ||
        radosgw-admin "${C[@]}" user info --uid=cvmpreserve >/dev/null 2>&1; do
      ((SECONDS < deadline)) || fail "could not create the S3 user within ${timeout}s"
      sleep 0.5
    done
    printf 'AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n' "$ak" "$sk" >"$D/credentials"
    echo "http://127.0.0.1:$PORT"
    ;;
  stop)
    [[ $# -eq 2 ]] || usage
    stop "$2"
    ;;
  *) usage ;;
esac
