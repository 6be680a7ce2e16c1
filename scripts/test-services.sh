#!/usr/bin/env bash
# Makes sure everything the tests need is there before they run: PostgreSQL and
# Redis listening (started when they are local and down), the Dovecot binaries
# the integration tests start their own IMAP server with, and Chromium and
# pdftotext for the reports.
# Idempotent and silent when all is fine; one line on stderr for what it does or
# why it gives up.
set -euo pipefail

say() { printf 'test-services: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

if [[ $(id -u) -eq 0 ]]; then SUDO=(); else SUDO=(sudo --non-interactive); fi

# Host and port of a URL such as postgres://user:secret@host:5432/db, or the
# default when the URL is empty. Prints "host port".
url_host_port() {
  local url=$1 default_port=$2 authority host port
  if [[ -z $url ]]; then printf '127.0.0.1 %s\n' "$default_port"; return; fi
  authority=${url#*://}
  authority=${authority%%/*}
  authority=${authority%%\?*}
  authority=${authority##*@}
  if [[ $authority == \[* ]]; then          # [::1]:5432
    host=${authority%%]*}; host=${host#[}
    port=${authority##*]}; port=${port#:}
  else
    host=${authority%%:*}
    port=${authority#"$host"}; port=${port#:}
  fi
  printf '%s %s\n' "${host:-127.0.0.1}" "${port:-$default_port}"
}

is_loopback() {
  case $1 in localhost | 127.* | ::1) return 0 ;; *) return 1 ;; esac
}

# Bash's /dev/tcp takes IPv6 addresses bare: /dev/tcp/::1/6379.
port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

wait_for_port() {
  local name=$1 host=$2 port=$3
  for _ in $(seq 1 60); do
    port_open "$host" "$port" && return 0
    sleep 0.5
  done
  die "$name started but is not listening on $host:$port after 30 s"
}

# ensure_service NAME URL DEFAULT_PORT START_FUNCTION
ensure_service() {
  local name=$1 url=$2 default_port=$3 start=$4 host port
  read -r host port < <(url_host_port "$url" "$default_port")
  port_open "$host" "$port" && return 0
  is_loopback "$host" || die "$name is not reachable at $host:$port (a remote server: start it yourself)"
  say "$name is down on $host:$port, starting it"
  "$start" || die "could not start $name"
  wait_for_port "$name" "$host" "$port"
}

start_postgresql() {
  command -v pg_ctlcluster >/dev/null || { say "pg_ctlcluster not found (is PostgreSQL installed?)"; return 1; }
  local version
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  [[ -n $version ]] || { say "no cluster under /etc/postgresql"; return 1; }
  "${SUDO[@]}" pg_ctlcluster --skip-systemctl-redirect "$version" main start
}

start_redis() {
  command -v redis-server >/dev/null || { say "redis-server not found (is Redis installed?)"; return 1; }
  "${SUDO[@]}" mkdir -p /var/lib/redis /var/log/redis
  "${SUDO[@]}" redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log >/dev/null
}

have_dovecot() {
  [[ -x /usr/sbin/dovecot || -n $(command -v dovecot) ]] && [[ -x /usr/bin/doveadm || -n $(command -v doveadm) ]]
}

# A package install may start the system's own Dovecot (port 143, the system
# config); the tests start private ones, so that one is only in the way.
stop_system_dovecot() {
  local pid_file=/run/dovecot/master.pid
  [[ -s $pid_file ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null || return 0
  say "stopping the system Dovecot that the package install started"
  "${SUDO[@]}" doveadm stop >/dev/null 2>&1 || "${SUDO[@]}" kill "$(cat "$pid_file")"
}

install_dovecot() {
  local apt=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -qq -o Dpkg::Use-Pty=0)
  local install=("${apt[@]}" install -y --no-install-recommends dovecot-imapd)
  local was_running=no
  [[ -s /run/dovecot/master.pid ]] && kill -0 "$(cat /run/dovecot/master.pid)" 2>/dev/null && was_running=yes
  say "installing Debian's dovecot-imapd for the test IMAP server"
  if ! "${install[@]}" >/tmp/sonde-test-services-apt.log 2>&1; then
    # The usual cause is a stale or empty package index.
    "${apt[@]}" update >>/tmp/sonde-test-services-apt.log 2>&1 &&
      "${install[@]}" >>/tmp/sonde-test-services-apt.log 2>&1 ||
      die "apt-get install dovecot-imapd failed (see /tmp/sonde-test-services-apt.log)"
  fi
  have_dovecot || die "dovecot-imapd is installed but dovecot/doveadm are missing"
  [[ $was_running == yes ]] || stop_system_dovecot
}

# Chromium renders the PDF reports and drives the browser tests; pdftotext (poppler-utils)
# reads the PDFs back. Debian's own packages: nothing is downloaded by npm.
install_packages() {
  local apt=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -qq -o Dpkg::Use-Pty=0)
  local install=("${apt[@]}" install -y --no-install-recommends "$@")
  say "installing Debian's $* for the reports and browser tests"
  if ! "${install[@]}" >/tmp/sonde-test-services-apt.log 2>&1; then
    "${apt[@]}" update >>/tmp/sonde-test-services-apt.log 2>&1 &&
      "${install[@]}" >>/tmp/sonde-test-services-apt.log 2>&1 ||
      die "apt-get install $* failed (see /tmp/sonde-test-services-apt.log)"
  fi
}

ensure_report_tools() {
  local missing=()
  [[ -x ${SONDE_CHROMIUM_PATH:-/usr/bin/chromium} ]] || missing+=(chromium)
  command -v pdftotext >/dev/null || missing+=(poppler-utils)
  [[ ${#missing[@]} -eq 0 ]] || install_packages "${missing[@]}"
}

ensure_service PostgreSQL "${DATABASE_URL:-}" 5432 start_postgresql
ensure_service Redis "${REDIS_URL:-}" 6379 start_redis
have_dovecot || install_dovecot
ensure_report_tools
