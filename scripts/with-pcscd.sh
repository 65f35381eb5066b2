#!/usr/bin/env bash
# Run a command beside a private pcscd with egate's virtual readers, isolated from any other
# pcscd on the machine:
#   scripts/with-pcscd.sh cargo test -p sim
# It re-executes itself in new mount and network namespaces (`unshare`, needs root), mounts a
# tmpfs on /run/pcscd, brings up the loopback interface, writes a reader.conf directory with one
# vpcd entry — two readers, "Virtual PCD 00 00" on 127.0.0.1:35963 and "Virtual PCD 00 01" on
# 35964 — starts `pcscd -f`, waits for its socket, runs the command and stops pcscd. Inside,
# EGATE_PCSCD=isolated is set; tests that need pcscd fail (never skip) when no pcscd answers.
# pcscd is restarted whenever it exits, as systemd's Restart= would on a gate; its current pid
# is in the file EGATE_PCSCD_PID_FILE names, so a fault test can kill it mid-read.
#
# Measured (Debian 12, vsmartcard-vpcd 0.9): with several vpcd entries in reader.conf, pcscd
# lists all their readers but only the LAST entry's two ports ever see a card; so one entry.
set -euo pipefail
if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARG]..." >&2
  exit 2
fi
if [ "${EGATE_PCSCD_NS:-}" != 1 ]; then
  command -v pcscd >/dev/null || { echo "with-pcscd: pcscd is not installed (apt-get install pcscd vsmartcard-vpcd)" >&2; exit 1; }
  [ -f /usr/lib/pcsc/drivers/serial/libifdvpcd.so ] || { echo "with-pcscd: the vpcd driver is not installed (apt-get install vsmartcard-vpcd)" >&2; exit 1; }
  export EGATE_PCSCD_NS=1
  exec unshare --mount --net --fork --propagation private "$0" "$@"
fi
mkdir -p /run/pcscd
mount -t tmpfs tmpfs /run/pcscd
ip link set lo up
conf=$(mktemp -d /tmp/egate-readers.XXXXXX)
printf 'FRIENDLYNAME "Virtual PCD"\nDEVICENAME   /dev/null:0x8C7B\nLIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID    0x8C7B\n' \
  >"$conf/egate-vpcd"
log="$conf/pcscd.log"
pidfile="$conf/pcscd.pid"
# Restarts pcscd whenever it exits, until the file "stop" exists.
supervise() {
  while [ ! -e "$conf/stop" ]; do
    pcscd -f -c "$conf" >>"$log" 2>&1 &
    echo "$!" >"$pidfile.tmp" && mv "$pidfile.tmp" "$pidfile"
    wait "$!" || true
    [ -e "$conf/stop" ] || sleep 0.2
  done
}
supervise &
supervisor=$!
cleanup() {
  touch "$conf/stop"
  [ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  wait "$supervisor" 2>/dev/null || true
  rm -rf "$conf"
}
trap cleanup EXIT
for _ in $(seq 100); do [ -S /run/pcscd/pcscd.comm ] && break; sleep 0.05; done
if [ ! -S /run/pcscd/pcscd.comm ]; then
  echo "with-pcscd: pcscd did not come up:" >&2
  cat "$log" >&2
  exit 1
fi
export EGATE_PCSCD=isolated
export EGATE_PCSCD_PID_FILE="$pidfile"
set +e
"$@"
rc=$?
set -e
exit "$rc"
