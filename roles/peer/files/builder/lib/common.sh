# Shared by the fabrun golang builder's bin/ scripts (sourced, never run).
#
# Configuration, first found wins:
#   1. the environment (the peer passes only the variables listed in its
#      core.yaml chaincode.externalBuilders[].propagateEnvironment, plus
#      PATH, LD_LIBRARY_PATH, LIBPATH and TMPDIR);
#   2. KEY=VALUE lines in builder.env next to bin/ (optional, written by the
#      deployer; only the keys below are read, nothing is executed);
#   3. the defaults below.
#
#   FABRUN_GO           go binary           default: go on PATH, else /usr/local/go/bin/go
#   FABRUN_PYTHON       python3 binary      default: python3 on PATH
#   GOCACHE or FABRUN_GOCACHE  Go build cache, absolute, writable by the peer user
#                                           default: ${TMPDIR:-/tmp}/fabrun-builder-gocache-<uid>
#   FABRUN_GOPROXY      GOPROXY for builds  default: off (vendored modules only)
#   FABRUN_CGO_ENABLED  CGO_ENABLED         default: 0 (static binary, no C compiler)
#   FABRUN_GOFLAGS      extra go build flags (word-split), default: none

BUILDER_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILDER_NAME="fabrun golang builder"

builder_fail() {
  echo "$BUILDER_NAME: $*" >&2
  exit 1
}

# builder_config loads builder.env under whatever the environment already set.
builder_config() {
  local file="$BUILDER_DIR/builder.env" line key value
  if [ -f "$file" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
      case "$line" in '' | '#'*) continue ;; esac
      key=${line%%=*}
      value=${line#*=}
      case "$key" in
        FABRUN_GO | FABRUN_PYTHON | FABRUN_GOCACHE | FABRUN_GOPROXY | FABRUN_CGO_ENABLED | FABRUN_GOFLAGS)
          if [ -z "${!key+set}" ]; then
            printf -v "$key" '%s' "$value"
          fi
          ;;
        *) echo "$BUILDER_NAME: $file: ignoring unknown key '$key'" >&2 ;;
      esac
    done <"$file"
  fi
  if [ -z "${FABRUN_PYTHON:-}" ]; then
    FABRUN_PYTHON=$(command -v python3 || true)
  fi
  [ -n "$FABRUN_PYTHON" ] || builder_fail "python3 not found: put it on the peer's PATH or set FABRUN_PYTHON"
}

# builder_json FILE KEY prints the string value of a top-level key ("" when absent).
builder_json() {
  "$FABRUN_PYTHON" -c '
import json, sys
try:
    with open(sys.argv[1]) as f:
        value = json.load(f).get(sys.argv[2], "")
except (OSError, ValueError, AttributeError) as e:
    sys.exit("cannot read %s: %s" % (sys.argv[1], e))
sys.stdout.write(value if isinstance(value, str) else "")
' "$1" "$2"
}

# builder_is_golang METADATA_DIR succeeds when metadata.json says type golang
# (new lifecycle packages say "golang", legacy installs "GOLANG").
builder_is_golang() {
  local type
  type=$(builder_json "$1/metadata.json" type) || return 1
  [ "${type,,}" = golang ]
}
