#!/usr/bin/env bash
# Backup of a montecell deployment: the Postgres database (pg_dump, custom format), the row count
# and checksum of every table, and the blob store (the blobs themselves, or only their
# inventory), in one compressed archive with a SHA-256 checksum beside it; old archives beyond
# the retention count are deleted. scripts/restore.sh restores one and verifies it.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=deploy-lib.sh
. "$(dirname "$0")/deploy-lib.sh"

usage() {
    cat <<'EOF'
Usage: scripts/backup.sh [options]

Writes OUT/NAME-YYYYMMDDTHHMMSSZ.tar.gz and OUT/NAME-….tar.gz.sha256. The archive holds:
  database.dump   pg_dump --format=custom of the database
  tables.tsv      table, rows, checksum of every table (restore.sh compares them after restoring)
  blobs/          the blobs (--blobs copy), under their keys
  blobs.tsv       key, size, SHA-256 of every blob (--blobs copy); key, size, ETag (--blobs inventory)
  manifest.txt    when, what from, schema version, tool versions
  SHA256SUMS      checksums of the files above (the blobs: by blobs.tsv)
The database is dumped before the blobs are read: every blob a dumped row refers to was
written before the row, so it is in the archive too (blobs are never deleted).

Where from (command line, else --env-file, else the environment):
  --env-file FILE        a montecell environment file (deploy/env/production.montecell.env):
                         MONTECELL_DATABASE_URL, MONTECELL_S3_*, MONTECELL_BLOB_DIR/DATA_DIR
  --database-url URL     postgres://user:password@host:5432/db (MONTECELL_DATABASE_URL)
  --pg-exec "CMD"        run pg_dump and psql through this prefix, e.g.
                         "docker compose -f docker-compose.production.yml exec -T postgres"
                         (the server's own tools; the URL is then as seen from that container)
  --blob-dir DIR         blobs in a local folder (MONTECELL_BLOB_DIR, or MONTECELL_DATA_DIR/blobs)
  --s3-bucket NAME       blobs in S3 (MONTECELL_S3_BUCKET); credentials MONTECELL_S3_ACCESS_KEY_ID
  --s3-endpoint URL      and MONTECELL_S3_SECRET_ACCESS_KEY (or the AWS CLI's own)
                         (MONTECELL_S3_ENDPOINT; empty = AWS)
  --blobs MODE           copy (default): the blobs go into the archive;
                         inventory: only their list (for buckets with their own versioning
                         and replication); none: no blobs
Where to:
  --out DIR              folder of the archives (default: backups/ in the checkout)
  --name NAME            archive name prefix (default: montecell)
  --keep N               keep the N newest archives of this NAME in OUT, delete older ones
                         (default 14; 0 keeps all)
  -h, --help             this text

Prints the archive's path on standard output.
EOF
}

root=$(cd "$(dirname "$0")/.." && pwd)
env_file=""
database_url=""
blob_dir=""
blobs_mode=copy
out="$root/backups"
name=montecell
keep=14
pg_exec_arg=""
while [ $# -gt 0 ]; do
    case "$1" in
        --env-file) env_file=${2:?--env-file needs a file}; shift 2 ;;
        --database-url) database_url=${2:?--database-url needs a URL}; shift 2 ;;
        --pg-exec) pg_exec_arg=${2:?--pg-exec needs a command}; shift 2 ;;
        --blob-dir) blob_dir=${2:?--blob-dir needs a folder}; shift 2 ;;
        --s3-bucket) S3_BUCKET=${2:?--s3-bucket needs a name}; shift 2 ;;
        --s3-endpoint) S3_ENDPOINT=${2:?--s3-endpoint needs a URL}; shift 2 ;;
        --blobs) blobs_mode=${2:?--blobs needs copy, inventory or none}; shift 2 ;;
        --out) out=${2:?--out needs a folder}; shift 2 ;;
        --name) name=${2:?--name needs a name}; shift 2 ;;
        --keep) keep=${2:?--keep needs a number}; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
case "$blobs_mode" in copy | inventory | none) ;; *) die "--blobs must be copy, inventory or none" ;; esac
[[ $keep =~ ^[0-9]+$ ]] || die "--keep must be a number"
[[ $name =~ ^[A-Za-z0-9._-]+$ ]] || die "--name may only hold letters, digits and ._-"
[ -n "$env_file" ] && env_file_load "$env_file"
[ -n "$pg_exec_arg" ] && pg_exec_set "$pg_exec_arg"

database_url=${database_url:-$(setting MONTECELL_DATABASE_URL)}
[[ $database_url =~ ^postgres(ql)?:// ]] || die "a Postgres database is needed (--database-url or MONTECELL_DATABASE_URL), not '$(redact_url "$database_url")'"
S3_BUCKET=${S3_BUCKET:-$(setting MONTECELL_S3_BUCKET)}
if [ "$blobs_mode" != none ] && [ -z "$S3_BUCKET" ] && [ -z "$blob_dir" ]; then
    blob_dir=$(setting MONTECELL_BLOB_DIR)
    if [ -z "$blob_dir" ]; then
        data_dir=$(setting MONTECELL_DATA_DIR)
        blob_dir=${data_dir:-data}/blobs
    fi
fi
command -v "${PG_EXEC[0]:-pg_dump}" >/dev/null || die "${PG_EXEC[0]:-pg_dump} not found"

mkdir -p "$out"
out=$(cd "$out" && pwd)
exec 9>"$out/.backup.lock"
flock -n 9 || die "another backup is writing to $out"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
base="$name-$stamp"
n=1
while [ -e "$out/$base.tar.gz" ]; do
    base="$name-$stamp-$n"
    n=$((n + 1))
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dir="$work/$base"
mkdir -p "$dir"

log "database $(redact_url "$database_url")"
pg pg_dump --format=custom --compress=6 --no-owner --no-privileges --dbname="$database_url" >"$dir/database.dump"
[ -s "$dir/database.dump" ] || die "pg_dump wrote nothing"
table_stats "$database_url" >"$dir/tables.tsv"
[ -s "$dir/tables.tsv" ] || die "the database has no tables: is it the right one?"
schema=$(psql_q "$database_url" <<<"SELECT CASE WHEN to_regclass('public._sqlx_migrations') IS NULL THEN 0 ELSE (SELECT coalesce(max(version), 0) FROM public._sqlx_migrations) END;")
server_version=$(psql_q "$database_url" <<<"SHOW server_version;")
pg_dump_version=$(pg pg_dump --version)
log "$(wc -l <"$dir/tables.tsv") tables, $(awk -F'\t' '{ n += $2 } END { print n + 0 }' "$dir/tables.tsv") rows, schema version $schema"

blob_source=none
case "$blobs_mode" in
    copy)
        mkdir -p "$dir/blobs"
        if [ -n "$S3_BUCKET" ]; then
            s3_setup "$work"
            blob_source="s3://$S3_BUCKET${S3_ENDPOINT:+ at $S3_ENDPOINT}"
            log "blobs from $blob_source"
            s3 s3 sync --only-show-errors --no-progress "s3://$S3_BUCKET/" "$dir/blobs/"
            # shellcheck disable=SC2016 # a JMESPath literal, not a shell expansion
            listed=$(s3 s3api list-objects-v2 --bucket "$S3_BUCKET" --query 'length(Contents || `[]`)' --output text)
        else
            [ -d "$blob_dir" ] || die "no blob folder $blob_dir (--blob-dir)"
            blob_source="$(cd "$blob_dir" && pwd)"
            log "blobs from $blob_source"
            tar -C "$blob_dir" --exclude='*.tmp-*' -cf - . | tar -C "$dir/blobs" -xf -
            listed=$(find "$blob_dir" -type f ! -name '*.tmp-*' | wc -l)
        fi
        blob_inventory "$dir/blobs" >"$dir/blobs.tsv"
        copied=$(wc -l <"$dir/blobs.tsv")
        # Blobs only ever get added: the copy has at least what the listing counted before.
        [ "$copied" -ge "$listed" ] || die "copied $copied blobs, but the store listed $listed"
        ;;
    inventory)
        if [ -n "$S3_BUCKET" ]; then
            s3_setup "$work"
            blob_source="s3://$S3_BUCKET${S3_ENDPOINT:+ at $S3_ENDPOINT} (inventory only)"
            s3 s3api list-objects-v2 --bucket "$S3_BUCKET" --output text \
                --query 'Contents[].[Key, Size, ETag]' | { grep -v '^None$' || true; } | tr -d '"' | LC_ALL=C sort >"$dir/blobs.tsv"
        else
            [ -d "$blob_dir" ] || die "no blob folder $blob_dir (--blob-dir)"
            blob_source="$(cd "$blob_dir" && pwd) (inventory only)"
            blob_inventory "$blob_dir" >"$dir/blobs.tsv"
        fi
        ;;
    none) : ;;
esac
if [ -f "$dir/blobs.tsv" ]; then
    log "$(wc -l <"$dir/blobs.tsv") blobs ($blobs_mode)"
fi

{
    echo "format: montecell-backup 1"
    echo "created_at: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "database: $(redact_url "$database_url")"
    echo "database_server_version: $server_version"
    echo "pg_dump: $pg_dump_version"
    echo "schema_version: $schema"
    echo "tables: $(wc -l <"$dir/tables.tsv")"
    echo "blobs_mode: $blobs_mode"
    echo "blobs_source: $blob_source"
    if [ -f "$dir/blobs.tsv" ]; then echo "blobs: $(wc -l <"$dir/blobs.tsv")"; fi
    echo "host: $(hostname)"
} >"$dir/manifest.txt"
(cd "$dir" && find . -maxdepth 1 -type f -printf '%P\n' | LC_ALL=C sort | xargs -d '\n' sha256sum) >"$work/SHA256SUMS"
mv "$work/SHA256SUMS" "$dir/SHA256SUMS"

tar -C "$work" -czf "$out/$base.tar.gz.partial" "$base"
mv "$out/$base.tar.gz.partial" "$out/$base.tar.gz"
(cd "$out" && sha256sum "$base.tar.gz" >"$base.tar.gz.sha256")
log "wrote $out/$base.tar.gz ($(du -h "$out/$base.tar.gz" | cut -f1))"

if [ "$keep" -gt 0 ]; then
    mapfile -t old < <(find "$out" -maxdepth 1 -type f -name "$name-*.tar.gz" -printf '%f\n' |
        grep -E "^$name-[0-9]{8}T[0-9]{6}Z(-[0-9]+)?\.tar\.gz$" | LC_ALL=C sort -r | tail -n +$((keep + 1)))
    for f in "${old[@]}"; do
        rm -f "$out/$f" "$out/$f.sha256"
        log "retention (keep $keep): deleted $f"
    done
fi
printf '%s\n' "$out/$base.tar.gz"
