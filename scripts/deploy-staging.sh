#!/usr/bin/env bash
# Staging deployment of this checkout with docker-compose.staging.yml: checks, images built from
# the working tree and tagged with its commit, a backup of the running staging data, the stack
# started or updated, health checks through nginx, and a rollback to the previous images when
# they fail.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=deploy-lib.sh
. "$(dirname "$0")/deploy-lib.sh"

usage() {
    cat <<'EOF'
Usage: scripts/deploy-staging.sh [options]

  1. checks: Docker Compose v2, the staging environment files (no CHANGE_ME left),
     `docker compose config`; TLS certificates made with scripts/gen-certs.sh when missing
  2. images montecell-api:TAG and montecell-worker:TAG built from this checkout
     (TAG: the commit, with -dirty for uncommitted changes)
  3. backup of the running staging data (database and blobs) into backups/staging, 7 kept
  4. `docker compose up -d`: the API is recreated first and applies the migrations, the
     worker starts once the API is healthy
  5. health: every container healthy, then /healthz and /readyz through nginx (HTTPS)
On a failure in 4–5 the previous images (when there were any) are started again.

Options:
  --tag TAG        image tag (default: from git)
  --no-build       use the images TAG as they are
  --env-dir DIR    folder of the environment files (default deploy/env): DEPLOY_ENV_DIR
  --project NAME   compose project name (default montecell-staging)
  --host NAME      host name for generated certificates (default: this host's name)
  --skip-backup    no backup first
  --timeout SEC    how long the containers may take to become healthy (default 300)
  -h, --help       this text
EOF
}

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
tag=""
build=true
env_dir=${DEPLOY_ENV_DIR:-deploy/env}
project=montecell-staging
host=$(hostname -f 2>/dev/null || hostname)
skip_backup=false
timeout=300
while [ $# -gt 0 ]; do
    case "$1" in
        --tag) tag=${2:?--tag needs a tag}; shift 2 ;;
        --no-build) build=false; shift ;;
        --env-dir) env_dir=${2:?--env-dir needs a folder}; shift 2 ;;
        --project) project=${2:?--project needs a name}; shift 2 ;;
        --host) host=${2:?--host needs a name}; shift 2 ;;
        --skip-backup) skip_backup=true; shift ;;
        --timeout) timeout=${2:?--timeout needs seconds}; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) echo "$me: unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done
[[ $timeout =~ ^[0-9]+$ ]] || { echo "$me: --timeout must be a number of seconds" >&2; exit 2; }
if [ -z "$tag" ]; then
    tag=$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo local)
    if [ -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
        tag="$tag-dirty"
    fi
fi
[[ $tag =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || { echo "$me: '$tag' is not a valid image tag" >&2; exit 2; }
export DEPLOY_ENV_DIR=$env_dir
file=docker-compose.staging.yml

compose_bin=()
if docker compose version >/dev/null 2>&1; then
    compose_bin=(docker compose)
elif command -v docker-compose >/dev/null && docker-compose version --short 2>/dev/null | grep -q '^2\.'; then
    compose_bin=(docker-compose)
else
    die "Docker Compose v2 is needed (docker compose …)"
fi
dc() {
    local t=$1
    shift
    IMAGE_TAG=$t "${compose_bin[@]}" -p "$project" -f "$file" "$@"
}

# 1. checks
for f in staging.montecell.env staging.postgres.env staging.redis.env staging.minio.env staging.grafana.env alertmanager.yml; do
    [ -f "$env_dir/$f" ] || die "missing $env_dir/$f (template: deploy/env/$f.example)"
    if grep -q 'CHANGE_ME' "$env_dir/$f"; then
        die "$env_dir/$f still has CHANGE_ME values"
    fi
done
certs=${TLS_CERT_DIR:-deploy/nginx/certs}
if [ ! -f "$certs/fullchain.pem" ] || [ ! -f "$certs/privkey.pem" ]; then
    log "no certificate in $certs: making a self-signed one for $host"
    "$root/scripts/gen-certs.sh" --out "$certs" --name "$host" --name localhost --name 127.0.0.1
fi
dc "$tag" config -q

previous=""
api_id=$(dc "$tag" ps -q api)
if [ -n "$api_id" ]; then
    previous=$(docker inspect -f '{{.Config.Image}}' "$api_id" | sed -E 's/^.*:([^:\/]+)$/\1/')
fi
log "deploying $tag (previous: ${previous:-none})"

# 2. images
if [ "$build" = true ]; then
    dc "$tag" build api worker
fi

# 3. backup
if [ "$skip_backup" = false ] && [ -n "$(dc "$tag" ps -q postgres)" ]; then
    backup=$(IMAGE_TAG=$tag "$root/scripts/backup.sh" --env-file "$env_dir/staging.montecell.env" \
        --pg-exec "${compose_bin[*]} -p $project -f $file exec -T postgres" \
        --s3-endpoint http://127.0.0.1:9000 --blobs copy \
        --out "$root/backups/staging" --name staging --keep 7)
    log "backup: $backup"
fi

# 4./5. start, then health
healthy() {
    local t=$1 deadline=$((SECONDS + timeout)) id state bad
    while :; do
        bad=""
        for id in $(dc "$t" ps -q); do
            state=$(docker inspect -f '{{.Name}} {{.State.Status}}/{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$id")
            case "$state" in
                *" running/healthy" | *" running/none") ;;
                *) bad+="$state; " ;;
            esac
        done
        [ -z "$bad" ] && break
        if [ $SECONDS -ge $deadline ]; then
            log "not healthy after ${timeout}s: $bad"
            return 1
        fi
        sleep 3
    done
    curl -fsS --max-time 10 --cacert "$certs/ca.pem" --resolve "localhost:443:127.0.0.1" https://localhost/healthz >/dev/null &&
        curl -fsS --max-time 10 --cacert "$certs/ca.pem" --resolve "localhost:443:127.0.0.1" https://localhost/readyz >/dev/null
}
up() { dc "$1" up -d --remove-orphans; }

if up "$tag" && healthy "$tag"; then
    mkdir -p "$root/.deploy"
    echo "$tag" >"$root/.deploy/staging.version"
    log "staging runs $tag: https://$host/ (Grafana: ssh -L 3000:127.0.0.1:3000 to this host)"
    exit 0
fi
dc "$tag" logs --tail 80 api worker >&2 || true
if [ -n "$previous" ] && [ "$previous" != "$tag" ]; then
    log "rolling back to $previous"
    if up "$previous" && healthy "$previous"; then
        die "deployment of $tag failed; $previous runs again"
    fi
    die "deployment of $tag failed and so did the rollback to $previous (a migration of $tag that $previous does not know? see docs/operations.md)"
fi
die "deployment of $tag failed"
