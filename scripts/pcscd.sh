#!/usr/bin/env bash
# Start (or check) the machine's pcscd for the demo and for technicians: pcscd with the vpcd
# driver, two virtual readers ("Virtual PCD 00 00" on TCP 35963, "Virtual PCD 00 01" on 35964),
# from a reader.conf directory of our own. The test suite runs beside a private pcscd of its
# own instead (scripts/with-pcscd.sh).
#   scripts/pcscd.sh start | stop | status
set -euo pipefail
conf=/etc/egate/reader.conf.d
log=/tmp/egate-pcscd.log
pidfile=/run/egate-pcscd.pid

write_conf() {
  mkdir -p "$conf"
  # One vpcd entry: two readers, "Virtual PCD 00 00" on port 35963 and "Virtual PCD 00 01" on
  # 35964. Measured on Debian 12's vsmartcard-vpcd 0.9: with several entries pcscd lists every
  # reader but only the last entry's ports ever see a card.
  printf 'FRIENDLYNAME "Virtual PCD"\nDEVICENAME   /dev/null:0x8C7B\nLIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID    0x8C7B\n' \
    >"$conf/egate-vpcd.tmp"
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
    echo "[pcscd] started (pid $(cat $pidfile)), readers on ports 35963 and 35964"
    ;;
  stop)
    if running_ours; then kill "$(cat $pidfile)"; rm -f "$pidfile"; fi
    ;;
  status)
    running_ours && echo running || { echo stopped; exit 1; }
    ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
