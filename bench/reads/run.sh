#!/usr/bin/env bash
# What a read by cursor and a read of the newest rows cost at 10 million rows:
#   bench/reads/run.sh jdbc:postgresql://127.0.0.1:5432/bench?user=postgres
#   JAVA_OPTS=-Dtable=skewed bench/reads/run.sh jdbc:postgresql://127.0.0.1:5432/skewed?user=postgres   # everyone's rows only in the older half
# (an empty database is migrated and filled first: a few minutes). Results: docs/scaling.md,
# "What a read costs".
set -euo pipefail
cd "$(dirname "$0")/../.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
./mvnw -B -q -DskipTests compile org.apache.maven.plugins:maven-dependency-plugin:3.9.0:build-classpath \
  -Dmdep.includeScope=runtime -Dmdep.outputFile=target/reads.classpath
exec "$JAVA_HOME/bin/java" ${JAVA_OPTS:-} -cp "target/classes:$(cat target/reads.classpath)" bench/reads/CursorReads.java "$1"
