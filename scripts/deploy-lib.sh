#!/usr/bin/env bash
# Functions shared by scripts/backup.sh, scripts/restore.sh and the deploy scripts. Sourced, not
# run: `. "$(dirname "$0")/deploy-lib.sh"`.
set -euo pipefail

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    echo "deploy-lib.sh is sourced by the other scripts, not run" >&2
    exit 2
fi

# The script's name for messages.
me=$(basename "$0")

log() { printf '%s %s: %s\n' "$(date -u +%H:%M:%S)" "$me" "$*" >&2; }
die() { printf '%s: %s\n' "$me" "$*" >&2; exit 1; }

# Environment-file values: env_file_load FILE reads KEY=VALUE lines the way compose's env_file
# does (no shell evaluation: values may hold spaces, commas, `$`), ignoring comments and blank
# lines, and stripping one pair of surrounding quotes.
declare -gA ENV_FILE=()
env_file_load() {
    local file=$1 line key value
    [ -r "$file" ] || die "cannot read environment file $file"
    while IFS= read -r line || [ -n "$line" ]; do
        line=${line%$'\r'}
        [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
        [[ $line =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || die "$file: not KEY=VALUE: $line"
        key=${BASH_REMATCH[2]}
        value=${BASH_REMATCH[3]}
        if [[ $value =~ ^\"(.*)\"$ || $value =~ ^\'(.*)\'$ ]]; then
            value=${BASH_REMATCH[1]}
        fi
        ENV_FILE[$key]=$value
    done <"$file"
}

# setting NAME: the environment file's value, else the process environment's, else "".
setting() {
    local name=$1
    if [ -n "${ENV_FILE[$name]+set}" ]; then
        printf '%s' "${ENV_FILE[$name]}"
    else
        printf '%s' "${!name:-}"
    fi
}

# pg_url_db URL: the database name of a postgres:// URL; pg_url_with_db URL NAME: the same URL
# naming another database (query parameters such as ?host=/var/run/postgresql are kept).
pg_url_re='^(postgres(ql)?://[^/?]*)(/([^?]*))?(\?.*)?$'
pg_url_db() {
    [[ $1 =~ $pg_url_re ]] || die "not a postgres:// URL: $(redact_url "$1")"
    printf '%s' "${BASH_REMATCH[4]}"
}
pg_url_with_db() {
    [[ $1 =~ $pg_url_re ]] || die "not a postgres:// URL: $(redact_url "$1")"
    printf '%s/%s%s' "${BASH_REMATCH[1]}" "$2" "${BASH_REMATCH[5]}"
}
redact_url() { sed -E 's#(://[^:/@]*:)[^@]*@#\1***@#' <<<"$1"; }

# Postgres client commands, through an optional prefix (--pg-exec "docker compose … exec -T
# postgres"): the tools of the server's own image then do the work.
PG_EXEC=()
pg_exec_set() { read -r -a PG_EXEC <<<"$1"; }
pg() { "${PG_EXEC[@]}" "$@"; }
# psql_q URL: runs the SQL on standard input, prints rows tab-separated, stops at the first error.
psql_q() { pg psql -X -q -A -t -F $'\t' -v ON_ERROR_STOP=1 -d "$1"; }

# table_stats URL: one line per table of the public schema: name, row count, checksum. The
# checksum is the sum of each row's MD5 (as a 60-bit number) over the row's text form: it does
# not depend on row order or physical layout, and changes when any value of any row changes.
table_stats() {
    local url=$1 tables t sql
    tables=$(psql_q "$url" <<<"SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename;")
    sql="SET TimeZone = 'UTC'; SET extra_float_digits = 3; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres';"
    while IFS= read -r t; do
        [ -n "$t" ] || continue
        local q=${t//\"/\"\"}
        local lit=${t//\'/\'\'}
        sql+=" SELECT '$lit', count(*), coalesce(sum(('x' || substr(md5(r::text), 1, 15))::bit(60)::bigint::numeric), 0) FROM public.\"$q\" r;"
    done <<<"$tables"
    psql_q "$url" <<<"$sql"
}

# S3 through the AWS CLI. s3_setup reads MONTECELL_S3_* (from the environment file or the
# environment) unless the caller set S3_BUCKET etc. already, and prepares the CLI's settings.
S3_BUCKET=${S3_BUCKET:-}
S3_ENDPOINT=${S3_ENDPOINT:-}
S3_REGION=${S3_REGION:-}
S3_PATH_STYLE=${S3_PATH_STYLE:-}
s3_setup() {
    local workdir=$1
    command -v aws >/dev/null || die "the AWS CLI (aws) is needed for S3 blobs: pip install awscli"
    S3_ENDPOINT=${S3_ENDPOINT:-$(setting MONTECELL_S3_ENDPOINT)}
    S3_REGION=${S3_REGION:-$(setting MONTECELL_S3_REGION)}
    S3_REGION=${S3_REGION:-us-east-1}
    S3_PATH_STYLE=${S3_PATH_STYLE:-$(setting MONTECELL_S3_PATH_STYLE)}
    S3_PATH_STYLE=${S3_PATH_STYLE:-true}
    local key secret
    key=$(setting MONTECELL_S3_ACCESS_KEY_ID)
    secret=$(setting MONTECELL_S3_SECRET_ACCESS_KEY)
    if [ -n "$key" ]; then
        export AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret
    fi
    export AWS_DEFAULT_REGION=$S3_REGION
    # Checksums only where S3 requires them: S3-compatible servers differ on the newer ones.
    export AWS_REQUEST_CHECKSUM_CALCULATION=when_required AWS_RESPONSE_CHECKSUM_VALIDATION=when_required
    export AWS_CONFIG_FILE="$workdir/aws-config"
    local style=virtual
    [ "$S3_PATH_STYLE" = true ] && style=path
    printf '[default]\ns3 =\n    addressing_style = %s\n' "$style" >"$AWS_CONFIG_FILE"
}
s3() {
    local args=()
    [ -n "$S3_ENDPOINT" ] && args+=(--endpoint-url "$S3_ENDPOINT")
    aws "${args[@]}" "$@"
}

# blob_inventory DIR: key, size and SHA-256 of every blob under DIR, sorted by key (blobs being
# written — `*.tmp-…` files — are left out).
blob_inventory() {
    local dir=$1
    (
        cd "$dir"
        find . -type f ! -name '*.tmp-*' -printf '%P\n' | LC_ALL=C sort | while IFS= read -r key; do
            printf '%s\t%s\t%s\n' "$key" "$(stat -c %s -- "$key")" "$(sha256sum -- "$key" | cut -d' ' -f1)"
        done
    )
}
