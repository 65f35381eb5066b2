#!/usr/bin/env bash
# Run a command beside a private pcscd with egate's virtual readers, isolated from any other
# pcscd on the machine:
#   scripts/with-pcscd.sh cargo test -p sim
# It re-executes itself in new mount and network namespaces (`unshare`, needs root), mounts a
# tmpfs on /run/pcscd, brings up the loopback interface, writes a reader.conf directory with the
# same 8 vpcd readers as scripts/pcscd.sh ("Virtual PCD 00 00" on 127.0.0.1:35963, ...
# "Virtual PCD 3 00 01" on 35970), starts `pcscd -f`, waits for its socket, runs the command
# and stops pcscd. Inside, EGATE_PCSCD=isolated is set; tests that need pcscd fail (never skip)
# when no pcscd answers.
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
for i in 0 1 2 3; do
  port=$((35963 + 2 * i))
  name="Virtual PCD"; [ "$i" = 0 ] || name="Virtual PCD $i"
  printf 'FRIENDLYNAME "%s"\nDEVICENAME   /dev/null:0x%X\nLIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID    0x%X\n\n' \
    "$name" "$port" "$port" >>"$conf/egate-vpcd"
done
log="$conf/pcscd.log"
pcscd -f -c "$conf" >"$log" 2>&1 &
pcscd_pid=$!
cleanup() { kill "$pcscd_pid" 2>/dev/null || true; wait "$pcscd_pid" 2>/dev/null || true; rm -rf "$conf"; }
trap cleanup EXIT
for _ in $(seq 100); do [ -S /run/pcscd/pcscd.comm ] && break; sleep 0.05; done
if [ ! -S /run/pcscd/pcscd.comm ]; then
  echo "with-pcscd: pcscd did not come up:" >&2
  cat "$log" >&2
  exit 1
fi
export EGATE_PCSCD=isolated
set +e
"$@"
rc=$?
set -e
exit "$rc"
