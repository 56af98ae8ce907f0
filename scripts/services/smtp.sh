# shellcheck shell=bash
# Throwaway SMTP servers for tests (aiosmtpd from PyPI, run by scripts/services/smtp_server.py).
#
# Source this file, then:
#   smtp_start DIR   install aiosmtpd (pip, into a venv in a cache folder) when missing, make a
#                    test CA and a server certificate with openssl, and start the servers on
#                    free ports of 127.0.0.1, with their certificates and received mail under DIR
#   smtp_stop        stop exactly the server process that smtp_start started
#
# smtp_start exports:
#   EMPORIUM_TEST_SMTP_URL           smtp://127.0.0.1:PORT?starttls=never  plain server: no TLS, no AUTH
#   EMPORIUM_TEST_SMTP_STARTTLS_URL  smtp://localhost:PORT?starttls=required  offers STARTTLS, no AUTH
#   EMPORIUM_TEST_SMTP_AUTH_URL      smtp://USER:PASSWORD@localhost:PORT?starttls=required
#                                    STARTTLS, then AUTH PLAIN/LOGIN, required for mail
#   EMPORIUM_TEST_SMTP_LOGIN_URL     the same for a server that offers AUTH LOGIN only
#   EMPORIUM_TEST_SMTPS_URL          smtps://USER:PASSWORD@localhost:PORT  implicit TLS and AUTH
#   EMPORIUM_TEST_SMTP_IDLE_URL      smtp://127.0.0.1:PORT?starttls=never  plain server that closes
#                                    a connection idle for more than 3 seconds
#   EMPORIUM_TEST_SMTP_CA_FILE       the CA certificate (PEM) that signed the servers' certificate,
#                                    which names localhost (all servers listen on 127.0.0.1)
#   EMPORIUM_TEST_SMTP_MESSAGES      the folder with one subfolder per server (plain, starttls,
#                                    auth, login, smtps, idle) where each received message is written as
#                                    N.eml plus N.json (envelope, tls, auth user, client address,
#                                    and the message as Python's email parser reads it)
#   EMPORIUM_TEST_SMTP_PYTHON        the venv's python, and EMPORIUM_TEST_SMTP_SCRIPT smtp_server.py,
#                                    for a test that starts and stops a server of its own
#                                    ($PYTHON $SCRIPT --plain PORT --messages DIR --ready FILE)
#
# Recipients whose local part starts with reject-permanent get 550, reject-transient 451, and
# disconnect makes the server drop the connection (see smtp_server.py).
#
# The venv lives in ${EMPORIUM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/emporium}/aiosmtpd-venv
# and is reused by later runs. Nothing else outside DIR is written, and smtp_stop ends only the
# process smtp_start started.

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

_emporium_smtp_script="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/smtp_server.py"

_emporium_smtp_venv() {
    cached_venv aiosmtpd-venv
}

# Installs aiosmtpd into the cached venv when it is not there yet.
_emporium_smtp_install() {
    venv_install aiosmtpd-venv aiosmtpd aiosmtpd
}

# A test CA and a certificate for localhost (only: no IP address, so that a client connecting to
# 127.0.0.1 must check the name localhost) signed by it, valid for a few days.
_emporium_smtp_certificates() {
    local dir="$1"
    apt_install_if_missing openssl openssl || return 1
    (
        set -e
        cd "$dir"
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3 \
            -subj "/CN=Emporium SMTP test CA" -keyout ca.key -out ca.pem \
            -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -subj "/CN=localhost" -keyout server.key -out server.csr
        printf '%s\n' "subjectAltName=DNS:localhost" "basicConstraints=CA:FALSE" \
            "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >server.ext
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3 \
            -extfile server.ext -out server.pem
    ) >"$dir/openssl.log" 2>&1 || {
        echo "smtp.sh: could not make the test certificates:" >&2
        tail -n 5 "$dir/openssl.log" >&2
        return 1
    }
}

smtp_start() {
    local dir="${1:-}"
    if [ -z "$dir" ]; then
        echo "usage: smtp_start DIR" >&2
        return 2
    fi
    if [ -n "${_EMPORIUM_SMTP_DIR:-}" ]; then
        echo "smtp.sh: servers are already running from ${_EMPORIUM_SMTP_DIR}; call smtp_stop first" >&2
        return 1
    fi
    _emporium_smtp_install || {
        echo "smtp.sh: could not install aiosmtpd with pip" >&2
        return 1
    }
    mkdir -p "$dir" || return 1
    dir="$(cd "$dir" && pwd)"
    mkdir -p "$dir/tls" "$dir/messages" || return 1
    _emporium_smtp_certificates "$dir/tls" || return 1

    local python user="emporium" password="pw-$RANDOM$RANDOM"
    python="$(_emporium_smtp_venv)/bin/python"
    local attempt pid="" plain starttls auth login smtps idle
    for attempt in 1 2 3; do
        plain="$(free_port)" || return 1
        starttls="$(free_port "$plain")" || return 1
        auth="$(free_port "$plain" "$starttls")" || return 1
        login="$(free_port "$plain" "$starttls" "$auth")" || return 1
        smtps="$(free_port "$plain" "$starttls" "$auth" "$login")" || return 1
        idle="$(free_port "$plain" "$starttls" "$auth" "$login" "$smtps")" || return 1
        rm -f "$dir/ready"
        "$python" "$_emporium_smtp_script" --plain "$plain" --starttls "$starttls" --auth "$auth" --login "$login" \
            --smtps "$smtps" --idle "$idle" --idle-timeout 3 \
            --cert "$dir/tls/server.pem" --key "$dir/tls/server.key" \
            --user "$user" --password "$password" \
            --messages "$dir/messages" --ready "$dir/ready" \
            </dev/null >"$dir/server.log" 2>&1 &
        pid=$!
        for _ in $(seq 1 100); do
            [ -f "$dir/ready" ] && break
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if [ -f "$dir/ready" ] && kill -0 "$pid" 2>/dev/null; then
            break
        fi
        echo "smtp.sh: servers did not come up (attempt $attempt):" >&2
        tail -n 5 "$dir/server.log" >&2
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        pid=""
    done
    if [ -z "$pid" ]; then
        return 1
    fi
    echo "$pid" >"$dir/server.pid"

    export _EMPORIUM_SMTP_DIR="$dir"
    export EMPORIUM_TEST_SMTP_URL="smtp://127.0.0.1:$plain?starttls=never"
    export EMPORIUM_TEST_SMTP_STARTTLS_URL="smtp://localhost:$starttls?starttls=required"
    export EMPORIUM_TEST_SMTP_AUTH_URL="smtp://$user:$password@localhost:$auth?starttls=required"
    export EMPORIUM_TEST_SMTP_LOGIN_URL="smtp://$user:$password@localhost:$login?starttls=required"
    export EMPORIUM_TEST_SMTPS_URL="smtps://$user:$password@localhost:$smtps"
    export EMPORIUM_TEST_SMTP_IDLE_URL="smtp://127.0.0.1:$idle?starttls=never"
    export EMPORIUM_TEST_SMTP_CA_FILE="$dir/tls/ca.pem"
    export EMPORIUM_TEST_SMTP_MESSAGES="$dir/messages"
    # For tests that start (and stop) a server of their own: python3 SCRIPT --plain PORT --messages DIR --ready FILE.
    export EMPORIUM_TEST_SMTP_PYTHON="$python"
    export EMPORIUM_TEST_SMTP_SCRIPT="$_emporium_smtp_script"
    echo "smtp.sh: servers up on ports $plain (plain), $starttls (starttls), $auth (auth), $login (login), $smtps (smtps), $idle (idle); mail in $dir/messages" >&2
}

smtp_stop() {
    local dir="${_EMPORIUM_SMTP_DIR:-}"
    if [ -z "$dir" ]; then
        echo "smtp.sh: no servers started by smtp_start" >&2
        return 0
    fi
    local pid=""
    [ -f "$dir/server.pid" ] && pid="$(cat "$dir/server.pid")"
    # Only that process: its command line names this data folder.
    if [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--messages $dir/messages"; then
        stop_process "$pid" 5 "smtp.sh: the SMTP servers"
    fi
    rm -f "$dir/server.pid"
    unset _EMPORIUM_SMTP_DIR EMPORIUM_TEST_SMTP_URL EMPORIUM_TEST_SMTP_STARTTLS_URL EMPORIUM_TEST_SMTP_AUTH_URL \
        EMPORIUM_TEST_SMTP_LOGIN_URL EMPORIUM_TEST_SMTPS_URL EMPORIUM_TEST_SMTP_IDLE_URL EMPORIUM_TEST_SMTP_CA_FILE EMPORIUM_TEST_SMTP_MESSAGES \
        EMPORIUM_TEST_SMTP_PYTHON EMPORIUM_TEST_SMTP_SCRIPT
}
