#!/usr/bin/env bash
# Fetch Apache Kafka (ZooKeeper mode) and Apache ZooKeeper from Maven Central
# and pack them as the hosts receive them:
#
#   <outdir>/kafka-<version>.tar.gz       kafka-<version>/libs/*.jar
#   <outdir>/zookeeper-<version>.tar.gz   zookeeper-<version>/libs/*.jar
#
# Versions are the ones pinned in tools/kafka/{kafka,zookeeper}/pom.xml.
# Idempotent: a tarball that is already there is left alone. Tarballs are
# reproducible (sorted, fixed mtime/owner, gzip -n), written atomically.
#
# Usage: tools/kafka/fetch.sh <outdir>        (make artifacts: build/artifacts)
# Env:   MVN (default mvn), MAVEN_OPTS / MVN_ARGS passed through.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: $0 <outdir>}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
mvn="${MVN:-mvn}"

# pom_version <pom> <property>: the pinned version from a pom's <properties>.
pom_version() {
  sed -n "s:.*<$2>\([^<]*\)</$2>.*:\1:p" "$1" | head -n1
}

# pack <name> <version> <pom>
pack() {
  local name="$1" version="$2" pom="$3"
  local tarball="$out/$name-$version.tar.gz"
  if [[ -s "$tarball" ]]; then
    echo "fetch.sh: $tarball present, skipping"
    return 0
  fi
  command -v "$mvn" >/dev/null || { echo "fetch.sh: $mvn not found (need Maven and a JDK)" >&2; exit 1; }
  tmp="$(mktemp -d "$out/.fetch-$name.XXXXXX")"
  local root="$tmp/$name-$version"
  mkdir -p "$root/libs"
  echo "fetch.sh: fetching $name $version from Maven Central"
  # shellcheck disable=SC2086
  "$mvn" -B -q -Dstyle.color=never ${MVN_ARGS:-} -f "$pom" \
    dependency:copy-dependencies \
    -DincludeScope=runtime \
    -DoutputDirectory="$root/libs" \
    -DbuildDirectory="$tmp/target"
  [[ -n "$(ls "$root/libs"/*.jar 2>/dev/null)" ]] || { echo "fetch.sh: no jars for $name" >&2; exit 1; }
  echo "$version" > "$root/VERSION"
  (cd "$root/libs" && ls -1 *.jar) > "$root/MANIFEST"
  tar --sort=name --mtime='2000-01-01 00:00Z' --owner=0 --group=0 --numeric-owner \
      -C "$tmp" -cf - "$name-$version" | gzip -n -9 > "$tmp/out.tar.gz"
  mv "$tmp/out.tar.gz" "$tarball"
  echo "fetch.sh: wrote $tarball ($(wc -l < "$root/MANIFEST") jars)"
  rm -rf "$tmp"; tmp=""
}

tmp=""
trap '[[ -z "$tmp" ]] || rm -rf "$tmp"' EXIT

pack kafka "$(pom_version "$here/kafka/pom.xml" kafka.version)" "$here/kafka/pom.xml"
pack zookeeper "$(pom_version "$here/zookeeper/pom.xml" zookeeper.version)" "$here/zookeeper/pom.xml"
