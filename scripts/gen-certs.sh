#!/usr/bin/env bash
# Self-signed TLS certificates for the nginx proxy (staging, CI, a first production start before
# the CA-issued ones are in place): a local certificate authority and a server certificate
# signed by it, under the names deploy/nginx/snippets/tls.conf reads.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: scripts/gen-certs.sh [--out DIR] [--name HOST]... [--days N] [--force]

Writes into DIR (default: deploy/nginx/certs):
  fullchain.pem  the server certificate followed by the CA certificate (nginx ssl_certificate)
  privkey.pem    the server's private key (nginx ssl_certificate_key), mode 0600
  ca.pem         the CA certificate: give it to clients (curl --cacert DIR/ca.pem)
The CA key is thrown away: the CA signs this one certificate and nothing else.

Options:
  --out DIR    output folder (created when missing)
  --name HOST  a DNS name or IP address for the certificate; repeatable. The first one is the
               subject's common name. Default: localhost, 127.0.0.1 and ::1
  --days N     validity in days (default 825)
  --force      replace existing files in DIR (default: refuse)
  -h, --help   this text
EOF
}

root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/deploy/nginx/certs"
days=825
force=false
names=()
while [ $# -gt 0 ]; do
    case "$1" in
        --out) out=${2:?--out needs a folder}; shift 2 ;;
        --name) names+=("${2:?--name needs a host name}"); shift 2 ;;
        --days) days=${2:?--days needs a number}; shift 2 ;;
        --force) force=true; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "gen-certs.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done
if [ ${#names[@]} -eq 0 ]; then
    names=(localhost 127.0.0.1 ::1)
fi
if ! [[ $days =~ ^[0-9]+$ ]] || [ "$days" -lt 1 ]; then
    echo "gen-certs.sh: --days must be a positive number, not '$days'" >&2
    exit 2
fi
command -v openssl >/dev/null || { echo "gen-certs.sh: openssl is required" >&2; exit 1; }

mkdir -p "$out"
for f in fullchain.pem privkey.pem ca.pem; do
    if [ -e "$out/$f" ] && [ "$force" != true ]; then
        echo "gen-certs.sh: $out/$f exists (use --force to replace it)" >&2
        exit 1
    fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 077

san=""
for n in "${names[@]}"; do
    if [[ $n =~ ^[0-9.]+$ || $n == *:* ]]; then
        san+="${san:+,}IP:$n"
    else
        san+="${san:+,}DNS:$n"
    fi
done

# The CA: EC P-256, a name that says what it is.
openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -keyout "$work/ca.key" -out "$work/ca.pem" -days "$days" \
    -subj "/O=montecell/CN=montecell local CA $(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

# The server key and certificate, signed by the CA.
openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -keyout "$work/privkey.pem" -out "$work/server.csr" \
    -subj "/O=montecell/CN=${names[0]}" 2>/dev/null
cat >"$work/server.ext" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$san
EOF
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
    -out "$work/server.pem" -days "$days" -sha256 -extfile "$work/server.ext" 2>/dev/null

# Checked before anything is replaced: the chain verifies and the key matches.
openssl verify -CAfile "$work/ca.pem" "$work/server.pem" >/dev/null
if [ "$(openssl x509 -in "$work/server.pem" -noout -pubkey)" != "$(openssl pkey -in "$work/privkey.pem" -pubout)" ]; then
    echo "gen-certs.sh: the key does not match the certificate" >&2
    exit 1
fi

cat "$work/server.pem" "$work/ca.pem" >"$work/fullchain.pem"
install -m 0644 "$work/fullchain.pem" "$out/fullchain.pem"
install -m 0644 "$work/ca.pem" "$out/ca.pem"
install -m 0600 "$work/privkey.pem" "$out/privkey.pem"
echo "certificates for ${names[*]} (valid $days days) in $out: fullchain.pem, privkey.pem, ca.pem"
