#!/usr/bin/env bash
# Production deployment of montecell VERSION with docker-compose.production.yml: checks, images,
# a pre-deploy backup, a canary API replica (which applies the database migrations), a rolling
# replacement of the API replicas behind nginx and of the GPU workers one by one, each step gated
# by the containers' health checks, and an automatic rollback when a step fails.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=deploy-lib.sh
. "$(dirname "$0")/deploy-lib.sh"

usage() {
    cat <<'EOF'
Usage: scripts/deploy-production.sh [options] VERSION

Deploys the images IMAGE_REPOSITORY/montecell-api:VERSION and …/montecell-worker:VERSION
(IMAGE_REPOSITORY defaults to "montecell") on this host:

  1. checks: Docker Compose v2, the environment files (no CHANGE_ME left), TLS certificates,
     `docker compose config`
  2. images: pulled (or built from this checkout with --build)
  3. backup: scripts/backup.sh through the Postgres container (database + blob inventory) into
     backups/production, 30 kept; skipped on a first deployment
  4. Postgres, Redis, Prometheus, Alertmanager, Grafana, DCGM exporter: started or updated
  5. API canary: one replica of VERSION next to the running ones; it applies the migrations and
     must become healthy. Failure: it is removed, nothing else changed
  6. API rolling: the other new replicas start, nginx is reloaded onto them, the old ones stop
     gracefully (in-flight requests finish)
  7. workers: each worker service is recreated on VERSION in turn (running jobs finish or are
     handed back: stop_grace_period) and must become healthy
  8. smoke test through nginx: /healthz and /readyz
A failure in steps 6–8 rolls the API and the workers back to the version that ran before —
unless the canary applied a migration, which the previous version cannot run on: then the
script stops, says so and names the pre-deploy backup (scripts/restore.sh).

Options:
  --build              build the images from this checkout instead of pulling them
  --env-dir DIR        folder of the environment files (default deploy/env): DEPLOY_ENV_DIR
  --project NAME       compose project name (default montecell)
  --workers-only       a worker-only host: steps 1, 2 and 7 for the worker services alone
  --services "A B"     the worker services to roll (default: every service named worker*)
  --backup-blobs MODE  inventory (default: S3 keeps its own versions) or copy
  --skip-backup        no pre-deploy backup (not recommended)
  --timeout SECONDS    how long each container may take to become healthy (default 180)
  -h, --help           this text

Environment: IMAGE_REPOSITORY, API_REPLICAS (default 3), TLS_CERT_DIR, PRIVATE_ADDR (see
docker-compose.production.yml).
EOF
}

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
version=""
build=false
env_dir=${DEPLOY_ENV_DIR:-deploy/env}
project=montecell
workers_only=false
services=""
backup_blobs=inventory
skip_backup=false
timeout=180
while [ $# -gt 0 ]; do
    case "$1" in
        --build) build=true; shift ;;
        --env-dir) env_dir=${2:?--env-dir needs a folder}; shift 2 ;;
        --project) project=${2:?--project needs a name}; shift 2 ;;
        --workers-only) workers_only=true; shift ;;
        --services) services=${2:?--services needs service names}; shift 2 ;;
        --backup-blobs) backup_blobs=${2:?--backup-blobs needs inventory or copy}; shift 2 ;;
        --skip-backup) skip_backup=true; shift ;;
        --timeout) timeout=${2:?--timeout needs seconds}; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        -*) echo "$me: unknown option: $1 (see --help)" >&2; exit 2 ;;
        *) [ -z "$version" ] || { echo "$me: one VERSION only" >&2; exit 2; }; version=$1; shift ;;
    esac
done
[ -n "$version" ] || { usage >&2; exit 2; }
[[ $version =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || { echo "$me: '$version' is not a valid image tag" >&2; exit 2; }
[[ $timeout =~ ^[0-9]+$ ]] || { echo "$me: --timeout must be a number of seconds" >&2; exit 2; }
case "$backup_blobs" in inventory | copy) ;; *) echo "$me: --backup-blobs must be inventory or copy" >&2; exit 2 ;; esac

export DEPLOY_ENV_DIR=$env_dir
export IMAGE_REPOSITORY=${IMAGE_REPOSITORY:-montecell}
replicas=${API_REPLICAS:-3}
[[ $replicas =~ ^[1-9][0-9]*$ ]] || die "API_REPLICAS must be a positive number"
file=docker-compose.production.yml

# --- helpers ----------------------------------------------------------------------------------
compose_bin=()
if docker compose version >/dev/null 2>&1; then
    compose_bin=(docker compose)
elif command -v docker-compose >/dev/null && docker-compose version --short 2>/dev/null | grep -q '^2\.'; then
    compose_bin=(docker-compose)
else
    die "Docker Compose v2 is needed (docker compose …)"
fi
# dc TAG ARGS…: compose with the images of TAG.
dc() {
    local tag=$1
    shift
    IMAGE_TAG=$tag "${compose_bin[@]}" -p "$project" -f "$file" "$@"
}
# wait_healthy ID…: every container healthy within the timeout; fails at the first that
# becomes unhealthy or exits.
wait_healthy() {
    local deadline=$((SECONDS + timeout)) id state
    for id in "$@"; do
        while :; do
            state=$(docker inspect -f '{{.State.Status}}/{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$id" 2>/dev/null || echo gone/gone)
            case "$state" in
                running/healthy | running/none) break ;;
                running/starting) ;;
                *)
                    log "container ${id:0:12} is $state"
                    docker logs --tail 50 "$id" >&2 2>&1 || true
                    return 1
                    ;;
            esac
            if [ $SECONDS -ge $deadline ]; then
                log "container ${id:0:12} not healthy after ${timeout}s ($state)"
                docker logs --tail 50 "$id" >&2 2>&1 || true
                return 1
            fi
            sleep 2
        done
    done
}
image_tag_of() { docker inspect -f '{{.Config.Image}}' "$1" | sed -E 's/^.*:([^:\/]+)$/\1/'; }
reload_nginx() {
    if [ -n "$(dc "$version" ps -q nginx)" ]; then
        dc "$version" exec -T nginx nginx -t -q && dc "$version" exec -T nginx nginx -s reload
    else
        dc "$version" up -d --no-deps nginx
    fi
}
# The newest applied migration (0 on an empty database), asked inside the Postgres container.
schema_version() {
    # shellcheck disable=SC2016 # expanded by the container's shell, from its environment
    dc "$version" exec -T postgres sh -c 'psql -X -q -At -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB"' <<<"SELECT CASE WHEN to_regclass('public._sqlx_migrations') IS NULL THEN 0 ELSE (SELECT max(version) FROM _sqlx_migrations) END;"
}

# --- 1. checks --------------------------------------------------------------------------------
log "deploying $version (project $project, env $env_dir)"
required=(production.montecell.env)
if [ "$workers_only" = false ]; then
    required+=(production.postgres.env production.redis.env production.grafana.env alertmanager.yml)
fi
for f in "${required[@]}"; do
    [ -f "$env_dir/$f" ] || die "missing $env_dir/$f (template: deploy/env/$f.example)"
    if grep -q 'CHANGE_ME' "$env_dir/$f"; then
        die "$env_dir/$f still has CHANGE_ME values"
    fi
done
if [ "$workers_only" = true ]; then
    # Compose reads every service's env_file to parse the file; a worker host runs none of
    # those services, so empty files stand in for them.
    for f in production.postgres.env production.redis.env production.grafana.env; do
        [ -f "$env_dir/$f" ] || { : >"$env_dir/$f"; log "created an empty $env_dir/$f (unused on a worker host)"; }
    done
else
    certs=${TLS_CERT_DIR:-deploy/nginx/certs}
    if [ ! -f "$certs/fullchain.pem" ] || [ ! -f "$certs/privkey.pem" ]; then
        die "no TLS certificate in $certs (fullchain.pem, privkey.pem): see docs/operations.md"
    fi
fi
dc "$version" config -q

if [ -z "$services" ]; then
    services=$(dc "$version" config --services | grep '^worker' | tr '\n' ' ')
fi
read -r -a worker_services <<<"$services"

# --- 2. images --------------------------------------------------------------------------------
if [ "$build" = true ]; then
    log "building $IMAGE_REPOSITORY/montecell-api:$version and montecell-worker:$version"
    docker build -f deploy/docker/Dockerfile --target api -t "$IMAGE_REPOSITORY/montecell-api:$version" .
    docker build -f deploy/docker/Dockerfile --target worker -t "$IMAGE_REPOSITORY/montecell-worker:$version" .
elif [ "$workers_only" = true ]; then
    dc "$version" pull "${worker_services[@]}"
else
    dc "$version" pull api "${worker_services[@]}"
fi

roll_workers() {
    local tag=$1 svc id
    for svc in "${worker_services[@]}"; do
        log "worker $svc → $tag"
        dc "$tag" up -d --no-deps --force-recreate "$svc"
        id=$(dc "$tag" ps -q "$svc")
        [ -n "$id" ] && wait_healthy "$id" || return 1
    done
}

previous_workers=""
for svc in "${worker_services[@]}"; do
    id=$(dc "$version" ps -q "$svc")
    if [ -n "$id" ]; then
        previous_workers=$(image_tag_of "$id")
        break
    fi
done

if [ "$workers_only" = true ]; then
    if roll_workers "$version"; then
        log "workers on $version"
        exit 0
    fi
    if [ -n "$previous_workers" ] && [ "$previous_workers" != "$version" ]; then
        log "rolling the workers back to $previous_workers"
        roll_workers "$previous_workers" || die "the rollback to $previous_workers failed too: look at the workers' logs"
    fi
    die "deployment of $version failed on the workers"
fi

# --- 3. backup --------------------------------------------------------------------------------
old_api=()
mapfile -t old_api < <(dc "$version" ps -q api)
previous=""
[ ${#old_api[@]} -gt 0 ] && previous=$(image_tag_of "${old_api[0]}")
backup=""
if [ -n "$(dc "$version" ps -q postgres)" ] && [ "$skip_backup" = false ]; then
    log "pre-deploy backup"
    backup=$(IMAGE_TAG=$version "$root/scripts/backup.sh" --env-file "$env_dir/production.montecell.env" \
        --pg-exec "${compose_bin[*]} -p $project -f $file exec -T postgres" \
        --blobs "$backup_blobs" --out "$root/backups/production" --name pre-deploy --keep 30)
    log "backup: $backup"
fi

# --- 4. infrastructure ------------------------------------------------------------------------
dc "$version" up -d postgres redis
for svc in postgres redis; do
    wait_healthy "$(dc "$version" ps -q "$svc")" || die "$svc is not healthy"
done
dc "$version" up -d --no-deps prometheus alertmanager grafana
dc "$version" up -d --no-deps dcgm-exporter || log "no DCGM exporter (no NVIDIA runtime on this host?)"
schema_before=$(schema_version)

# --- 5./6. API: canary, then the rest ---------------------------------------------------------
new_containers() {
    local id known
    for id in $(dc "$version" ps -q api); do
        known=false
        for o in "${old_api[@]}"; do [ "$o" = "$id" ] && known=true; done
        [ "$known" = false ] && echo "$id"
    done
}
remove_containers() {
    [ $# -gt 0 ] || return 0
    docker stop -t 30 "$@" >/dev/null || true
    docker rm -f "$@" >/dev/null || true
}

# roll_api TAG: the replicas of TAG replace the running ones (old_api), canary first.
roll_api() {
    local tag=$1 fresh
    log "API canary on $tag"
    IMAGE_TAG=$tag "${compose_bin[@]}" -p "$project" -f "$file" up -d --no-deps --no-recreate --scale "api=$((${#old_api[@]} + 1))" api
    mapfile -t fresh < <(new_containers)
    if [ ${#fresh[@]} -ne 1 ] || ! wait_healthy "${fresh[@]}"; then
        log "the canary did not become healthy: removing it (the previous replicas still serve)"
        remove_containers "${fresh[@]}"
        return 1
    fi
    log "canary healthy; starting $replicas replicas on $tag"
    IMAGE_TAG=$tag "${compose_bin[@]}" -p "$project" -f "$file" up -d --no-deps --no-recreate --scale "api=$((${#old_api[@]} + replicas))" api
    mapfile -t fresh < <(new_containers)
    if ! wait_healthy "${fresh[@]}"; then
        remove_containers "${fresh[@]}"
        return 1
    fi
    reload_nginx
    log "stopping the previous replicas"
    remove_containers "${old_api[@]}"
    old_api=("${fresh[@]}")
    reload_nginx
}

smoke() {
    curl -fsS -k --max-time 10 --resolve "localhost:443:127.0.0.1" https://localhost/healthz >/dev/null &&
        dc "$version" exec -T api curl -fsS --max-time 10 http://127.0.0.1:8080/readyz >/dev/null
}

rollback() {
    local why=$1
    log "FAILED: $why"
    if [ -z "$previous" ] || [ "$previous" = "$version" ]; then
        die "nothing to roll back to (first deployment, or $version ran before): look at the logs above"
    fi
    local schema_now
    schema_now=$(schema_version)
    if [ "$schema_now" != "$schema_before" ]; then
        die "$version applied migrations ($schema_before → $schema_now): $previous cannot start on this schema. Fix forward, or restore the pre-deploy backup ${backup:-(none taken)} with scripts/restore.sh (docs/operations.md)"
    fi
    log "rolling back to $previous"
    roll_api "$previous" || die "the API rollback to $previous failed too"
    roll_workers "$previous" || die "the worker rollback to $previous failed too"
    smoke || die "rolled back to $previous, but the smoke test fails"
    die "deployment of $version failed; $previous runs again"
}

if [ ${#old_api[@]} -eq 0 ]; then
    log "first deployment: starting $replicas API replicas"
    dc "$version" up -d --no-deps --scale "api=$replicas" api
    mapfile -t fresh < <(dc "$version" ps -q api)
    wait_healthy "${fresh[@]}" || die "the API did not become healthy"
    dc "$version" up -d --no-deps nginx
else
    if ! roll_api "$version"; then
        die "the API on $version did not become healthy; $previous still serves. If the canary applied a migration, $previous runs on the new schema (migrations must keep the previous version working: docs/operations.md)"
    fi
fi

# --- 7. workers -------------------------------------------------------------------------------
roll_workers "$version" || rollback "a worker on $version did not become healthy"

# --- 8. smoke test ----------------------------------------------------------------------------
sleep 2
smoke || rollback "the smoke test through nginx failed"
mkdir -p "$root/.deploy"
echo "$version" >"$root/.deploy/production.version"
log "deployed $version (previous: ${previous:-none}; schema $schema_before → $(schema_version))"
