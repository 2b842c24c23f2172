#!/usr/bin/env bash
# The benchmarks of issues 3 and 17, one command (see docs/benchmarks.md and docs/scaling.md):
#   bench/run.sh                                  # scenarios 1+2 (virtual threads), 7 (platform), 3, 4: ~20 min
#   bench/run.sh --scenarios=hold --ns=200,1000 --runs=1 --idle=5 --no-wait   # a smoke run
#   bench/run.sh --scenarios=poll,storm --runs=3  # scenarios 5 (polling) and 6 (reconnect storm): ~5 min
#   bench/run.sh --scenarios=soak --runs=3 --max-minutes=110   # scenario 8: three 30-minute soaks
#   bench/run.sh --scenarios=peer,starts,commitlock,listeners,instances --runs=3   # issue 17
# Options: --scenarios=hold,peer,nchan,platform,stock,serialgc,attrs,targeted,bulk,poll,storm,restart,soak,profile,
#          starts,commitlock,listeners,instances --soak-minutes=30 --nmt --rates=250,500,... --ns=... --runs=3
#          --server=distribution (the README's run command: the Tomcat distribution with tomcat-conf; default) or embedded
#          --start-n=5000 --writers=1,2,4,...,64 --lock-seconds=5 --instances=0,1,10,50,100 --statement-rate=20
#          --max-instances=3 --instance-n=19000 --instance-rate=500
#          --broadcasts=5 --idle=20 --heartbeat=10 --poll-interval=10 --poll-seconds=30 --missed=5 --profile-n=10000
#          --max-minutes=90 --out=docs/benchmarks
#          --nmt (Native Memory Tracking: hold writes its summary at the largest N, soak at the end)
#          "--server-jvm=-Xmx2g -XX:+UseG1GC ..." (the server's JVM options instead of those two; on the
#          distribution they come after setenv.sh's, so they override its G1 settings; serialgc is for
#          --server=embedded: setenv.sh selects G1)
# Everything it starts (PostgreSQL on 127.0.0.1:54339, the servers on 127.0.0.1:18080 and up, nginx +
# Nchan on 127.0.0.1:18090, the load clients) stops when it ends, when the time limit passes, or on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
export PATH="$JAVA_HOME/bin:$PATH"
ulimit -n "$(ulimit -Hn)"   # 20,000 here: one process per ~19,000 streams
DEP=org.apache.maven.plugins:maven-dependency-plugin:3.9.0:build-classpath
mkdir -p bench/target
# package: the WAR, the connector jar and the unpacked Tomcat distribution that --server=distribution runs.
./mvnw -B -q -DskipTests package $DEP -Dmdep.includeScope=test -Dmdep.outputFile=bench/target/server.classpath
./mvnw -B -q -f bench/pom.xml compile $DEP -Dmdep.outputFile=target/bench.classpath
exec timeout --signal=TERM --kill-after=60 "${BENCH_TIMEOUT:-6000}" \
  java -cp "bench/target/classes:$(cat bench/target/bench.classpath)" dev.notificationstream.bench.Driver "$@"
