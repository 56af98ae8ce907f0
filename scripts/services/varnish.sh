# shellcheck shell=bash
# A throwaway Varnish with the shipped VCL (deploy/varnish/emporium.vcl) in front of one origin on
# 127.0.0.1. Source this file, then:
#
#   varnish_start DIR ORIGIN_PORT   # varnishd on a free port of 127.0.0.1 (sets varnish_port),
#                                   # its work folder DIR, the VCL's backend set to ORIGIN_PORT;
#                                   # returns once it answers (its probe may still call the origin sick)
#   varnish_stop DIR                # stops the varnishd of DIR, if any
#
# Installs Debian's varnish (apt-get) when missing; the package starts no daemon here.

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

_emporium_varnish_vcl="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/deploy/varnish/emporium.vcl"

varnish_start() {
  local dir=$1 origin_port=$2
  apt_install_if_missing varnishd varnish
  mkdir -p "$dir"
  # varnishd reads its VCL as its own unprivileged user.
  chmod 755 "$dir"
  sed -e "s/\.port = \"8080\";/.port = \"$origin_port\";/" "$_emporium_varnish_vcl" >"$dir/emporium.vcl"
  chmod 644 "$dir/emporium.vcl"
  varnish_port=$(free_port)
  varnishd -a "127.0.0.1:$varnish_port" -f "$dir/emporium.vcl" -n "$dir" -s malloc,256m >"$dir/varnishd.log" 2>&1 || {
    echo "varnish.sh: varnishd did not start:" >&2
    cat "$dir/varnishd.log" >&2
    return 1
  }
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$varnish_port/" && return 0
    sleep 0.1
  done
  echo "varnish.sh: varnishd does not answer on $varnish_port" >&2
  return 1
}

varnish_stop() {
  local dir=$1
  [ -n "$dir" ] && [ -f "$dir/_.pid" ] || return 0
  local pid
  pid=$(cat "$dir/_.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$dir/_.pid"
}
