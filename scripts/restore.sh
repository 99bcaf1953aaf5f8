#!/usr/bin/env bash
# Restores an archive of scripts/backup.sh into a fresh database (and an empty blob store), then
# verifies it: every table's row count and checksum against the ones recorded at backup time,
# every blob's size and SHA-256 against the inventory, and every model's workbook present under
# the key its row names. Exits non-zero on any difference.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=deploy-lib.sh
. "$(dirname "$0")/deploy-lib.sh"

usage() {
    cat <<'EOF'
Usage: scripts/restore.sh [options] ARCHIVE.tar.gz

Into (command line, else --env-file, else the environment):
  --database-url URL   the database to create and restore into: postgres://…/NAME. NAME must
                       not exist yet (restore.sh creates it through the server's `postgres`
                       database); restoring over live data is never done. Default:
                       MONTECELL_DATABASE_URL with the database NAME_restored_YYYYMMDDHHMMSS.
  --env-file FILE      a montecell environment file (MONTECELL_DATABASE_URL, MONTECELL_S3_*,
                       MONTECELL_BLOB_DIR/DATA_DIR)
  --pg-exec "CMD"      run psql and pg_restore through this prefix, e.g.
                       "docker compose -f docker-compose.production.yml exec -T postgres"
  --blob-dir DIR       restore the blobs into this local folder (must be empty or missing)
  --s3-bucket NAME     restore the blobs into this bucket (must be empty or missing: created)
  --s3-endpoint URL    its S3 endpoint (MONTECELL_S3_ENDPOINT; empty = AWS)
  --skip-blobs         restore and verify the database only
  -h, --help           this text

The archive's .sha256 file beside it is checked first. An archive made with --blobs inventory
holds no blob to restore: the blob store is then checked against the inventory instead (every
listed key present with its size). Afterwards point MONTECELL_DATABASE_URL (and the blob
settings) at what was restored, or rename the databases (docs/operations.md).
EOF
}

archive=""
env_file=""
database_url=""
blob_dir=""
skip_blobs=false
pg_exec_arg=""
while [ $# -gt 0 ]; do
    case "$1" in
        --env-file) env_file=${2:?--env-file needs a file}; shift 2 ;;
        --database-url) database_url=${2:?--database-url needs a URL}; shift 2 ;;
        --pg-exec) pg_exec_arg=${2:?--pg-exec needs a command}; shift 2 ;;
        --blob-dir) blob_dir=${2:?--blob-dir needs a folder}; shift 2 ;;
        --s3-bucket) S3_BUCKET=${2:?--s3-bucket needs a name}; shift 2 ;;
        --s3-endpoint) S3_ENDPOINT=${2:?--s3-endpoint needs a URL}; shift 2 ;;
        --skip-blobs) skip_blobs=true; shift ;;
        -h | --help) usage; exit 0 ;;
        -*) die "unknown option: $1 (see --help)" ;;
        *) [ -z "$archive" ] || die "one archive at a time"; archive=$1; shift ;;
    esac
done
[ -n "$archive" ] || { usage >&2; exit 2; }
[ -f "$archive" ] || die "no archive $archive"
[ -n "$env_file" ] && env_file_load "$env_file"
[ -n "$pg_exec_arg" ] && pg_exec_set "$pg_exec_arg"

# 1. The archive is what backup.sh wrote.
sidecar="$archive.sha256"
[ -f "$sidecar" ] || die "no checksum file $sidecar beside the archive"
expected=$(cut -d' ' -f1 <"$sidecar")
actual=$(sha256sum <"$archive" | cut -d' ' -f1)
[ "$expected" = "$actual" ] || die "$archive does not match $sidecar: damaged or altered"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -C "$work" -xzf "$archive"
mapfile -t tops < <(find "$work" -mindepth 1 -maxdepth 1 -type d)
[ ${#tops[@]} -eq 1 ] || die "$archive does not hold one backup folder"
dir=${tops[0]}
for f in SHA256SUMS manifest.txt database.dump tables.tsv; do
    [ -f "$dir/$f" ] || die "$archive has no $f"
done
(cd "$dir" && sha256sum --quiet --check SHA256SUMS) || die "a file inside $archive does not match its checksum"
grep -qx 'format: montecell-backup 1' "$dir/manifest.txt" || die "$archive is not a montecell backup (format 1)"
log "archive verified: $(sed -n 's/^created_at: //p' "$dir/manifest.txt"), schema version $(sed -n 's/^schema_version: //p' "$dir/manifest.txt")"

# 2. A fresh database.
if [ -z "$database_url" ]; then
    database_url=$(setting MONTECELL_DATABASE_URL)
    [[ $database_url =~ ^postgres(ql)?:// ]] || die "--database-url (or MONTECELL_DATABASE_URL) must name a Postgres server"
    database_url=$(pg_url_with_db "$database_url" "$(pg_url_db "$database_url")_restored_$(date -u +%Y%m%d%H%M%S)")
fi
[[ $database_url =~ ^postgres(ql)?:// ]] || die "--database-url must be postgres://…"
db=$(pg_url_db "$database_url")
[[ $db =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "database name '$db': letters, digits and _ only"
admin_url=$(pg_url_with_db "$database_url" postgres)
command -v "${PG_EXEC[0]:-psql}" >/dev/null || die "${PG_EXEC[0]:-psql} not found"
exists=$(psql_q "$admin_url" <<<"SELECT count(*) FROM pg_database WHERE datname = '$db';")
[ "$exists" = 0 ] || die "database $db exists: restore.sh only restores into a new database"
psql_q "$admin_url" <<<"CREATE DATABASE \"$db\";" >/dev/null
log "created database $db; restoring"
pg pg_restore --no-owner --no-privileges --exit-on-error --single-transaction --dbname="$database_url" <"$dir/database.dump"

# 3. Every table as it was.
table_stats "$database_url" >"$work/tables.restored.tsv"
if ! diff -u "$dir/tables.tsv" "$work/tables.restored.tsv" >"$work/tables.diff"; then
    cat "$work/tables.diff" >&2
    die "the restored tables differ from the backup (above: - backup, + restored)"
fi
tables=$(wc -l <"$dir/tables.tsv")
rows=$(awk -F'\t' '{ n += $2 } END { print n + 0 }' "$dir/tables.tsv")
log "database verified: $tables tables, $rows rows, checksums equal"

# 4. The blobs.
blobs_mode=$(sed -n 's/^blobs_mode: //p' "$dir/manifest.txt")
if [ "$skip_blobs" = true ] || [ "$blobs_mode" = none ]; then
    log "blobs not restored (archive: blobs ${blobs_mode:-none}; --skip-blobs: $skip_blobs)"
    echo "restored $archive into $(redact_url "$database_url"): $tables tables, $rows rows verified"
    exit 0
fi
S3_BUCKET=${S3_BUCKET:-$(setting MONTECELL_S3_BUCKET)}
if [ -z "$S3_BUCKET" ] && [ -z "$blob_dir" ]; then
    blob_dir=$(setting MONTECELL_BLOB_DIR)
    if [ -z "$blob_dir" ]; then
        data_dir=$(setting MONTECELL_DATA_DIR)
        [ -n "$data_dir" ] || die "where do the blobs go? --blob-dir or --s3-bucket (or --skip-blobs)"
        blob_dir=$data_dir/blobs
    fi
fi
inventory="$dir/blobs.tsv"
[ -f "$inventory" ] || die "$archive has no blobs.tsv"

if [ "$blobs_mode" = copy ]; then
    # The copy in the archive matches its inventory before anything is written.
    blob_inventory "$dir/blobs" >"$work/blobs.archive.tsv"
    diff -q "$inventory" "$work/blobs.archive.tsv" >/dev/null || die "the blobs in the archive do not match blobs.tsv"
    if [ -n "$S3_BUCKET" ]; then
        s3_setup "$work"
        target="s3://$S3_BUCKET${S3_ENDPOINT:+ at $S3_ENDPOINT}"
        if s3 s3api head-bucket --bucket "$S3_BUCKET" >/dev/null 2>&1; then
            # shellcheck disable=SC2016 # a JMESPath literal, not a shell expansion
            count=$(s3 s3api list-objects-v2 --bucket "$S3_BUCKET" --max-items 1 --query 'length(Contents || `[]`)' --output text)
            [ "$count" = 0 ] || die "bucket $S3_BUCKET is not empty: restore into an empty or new bucket"
        else
            s3 s3api create-bucket --bucket "$S3_BUCKET" >/dev/null
        fi
        log "restoring $(wc -l <"$inventory") blobs into $target"
        s3 s3 sync --only-show-errors --no-progress "$dir/blobs/" "s3://$S3_BUCKET/"
        # Read back what the bucket holds now, and compare byte for byte (by SHA-256).
        mkdir -p "$work/readback"
        s3 s3 sync --only-show-errors --no-progress "s3://$S3_BUCKET/" "$work/readback/"
        blob_inventory "$work/readback" >"$work/blobs.restored.tsv"
    else
        target=$blob_dir
        if [ -d "$blob_dir" ] && [ -n "$(find "$blob_dir" -mindepth 1 -print -quit)" ]; then
            die "blob folder $blob_dir is not empty: restore into an empty or new folder"
        fi
        mkdir -p "$blob_dir"
        log "restoring $(wc -l <"$inventory") blobs into $blob_dir"
        tar -C "$dir/blobs" -cf - . | tar -C "$blob_dir" -xf -
        blob_inventory "$blob_dir" >"$work/blobs.restored.tsv"
    fi
    if ! diff -u "$inventory" "$work/blobs.restored.tsv" >"$work/blobs.diff"; then
        head -50 "$work/blobs.diff" >&2
        die "the restored blobs differ from the backup's inventory (above: - backup, + restored)"
    fi
    # Each workbook is stored under its own SHA-256: check the content against the name.
    bad=$(awk -F'\t' '$1 ~ /^models\/[0-9a-f]{64}\.xlsx$/ { k = $1; sub(/^models\//, "", k); sub(/\.xlsx$/, "", k); if (k != $3) print $1 }' "$inventory")
    [ -z "$bad" ] || die "workbooks whose content does not match their key: $bad"
    restored_keys=$(cut -f1 "$work/blobs.restored.tsv")
else
    # An inventory-only archive: the blob store must still hold what was listed.
    if [ -n "$S3_BUCKET" ]; then
        s3_setup "$work"
        target="s3://$S3_BUCKET${S3_ENDPOINT:+ at $S3_ENDPOINT}"
        s3 s3api list-objects-v2 --bucket "$S3_BUCKET" --output text --query 'Contents[].[Key, Size, ETag]' |
            { grep -v '^None$' || true; } | tr -d '"' | LC_ALL=C sort >"$work/blobs.now.tsv"
        missing=$(LC_ALL=C comm -23 "$inventory" "$work/blobs.now.tsv")
    else
        target=$blob_dir
        blob_inventory "$blob_dir" >"$work/blobs.now.tsv"
        missing=$(LC_ALL=C comm -23 "$inventory" "$work/blobs.now.tsv")
    fi
    [ -z "$missing" ] || die "blobs of the inventory missing or changed in $target: $(head -5 <<<"$missing" | cut -f1 | tr '\n' ' ')"
    restored_keys=$(cut -f1 "$work/blobs.now.tsv")
fi

# 5. Every model row's workbook is in the blob store.
if [ "$(psql_q "$database_url" <<<"SELECT to_regclass('public.models') IS NOT NULL;")" = t ]; then
    psql_q "$database_url" <<<"SELECT DISTINCT blob_key FROM models ORDER BY 1;" | LC_ALL=C sort >"$work/model-keys"
    LC_ALL=C sort <<<"$restored_keys" >"$work/blob-keys"
    missing=$(LC_ALL=C comm -23 "$work/model-keys" "$work/blob-keys")
    [ -z "$missing" ] || die "models whose workbook is not in the blob store: $(head -5 <<<"$missing" | tr '\n' ' ')"
fi
blobs=$(wc -l <"$inventory")
log "blobs verified in $target: $blobs blobs, sizes and checksums equal; every model's workbook present"
echo "restored $archive into $(redact_url "$database_url") and $target: $tables tables, $rows rows, $blobs blobs verified"
