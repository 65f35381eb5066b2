#!/usr/bin/env bash
# Start (or check) the pcscd that egate's tests and simulator use: pcscd with the vpcd driver
# configured for 8 virtual readers ("Virtual PCD 00 00", "Virtual PCD 00 01",
# "Virtual PCD 1 00 00", ... "Virtual PCD 3 00 01"; reader 2k+s listens on port 35963+2k+s) on TCP ports
# 35963..35970, from a reader.conf directory of our own.
#   scripts/pcscd.sh start | stop | status
set -euo pipefail
conf=/etc/egate/reader.conf.d
log=/tmp/egate-pcscd.log
pidfile=/run/egate-pcscd.pid

write_conf() {
  mkdir -p "$conf"
  : >"$conf/egate-vpcd.tmp"
  for i in 0 1 2 3; do
    port=$((35963 + 2 * i))
    name="Virtual PCD"; [ "$i" = 0 ] || name="Virtual PCD $i"
    printf 'FRIENDLYNAME "%s"\nDEVICENAME   /dev/null:0x%X\nLIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID    0x%X\n\n' \
      "$name" "$port" "$port" >>"$conf/egate-vpcd.tmp"
  done
  mv "$conf/egate-vpcd.tmp" "$conf/egate-vpcd"
}

running_ours() {
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

case "${1:-start}" in
  start)
    write_conf
    if running_ours; then echo "[pcscd] running (pid $(cat $pidfile))"; exit 0; fi
    if pidof pcscd >/dev/null; then
      echo "[pcscd] another pcscd is running without egate's readers; restarting it" >&2
      pkill -x pcscd || true
      for _ in $(seq 50); do pidof pcscd >/dev/null || break; sleep 0.1; done
    fi
    mkdir -p /run/pcscd
    nohup pcscd -f -c "$conf" >"$log" 2>&1 &
    echo $! >"$pidfile"
    for _ in $(seq 50); do [ -S /run/pcscd/pcscd.comm ] && break; sleep 0.1; done
    [ -S /run/pcscd/pcscd.comm ] || { echo "[pcscd] did not come up; see $log" >&2; exit 1; }
    echo "[pcscd] started (pid $(cat $pidfile)), readers on ports 35963..35970"
    ;;
  stop)
    if running_ours; then kill "$(cat $pidfile)"; rm -f "$pidfile"; fi
    ;;
  status)
    running_ours && echo running || { echo stopped; exit 1; }
    ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
