#!/bin/sh
# JVM options for notification-stream: copy to $CATALINA_BASE/bin/setenv.sh (catalina.sh sources it).
# Options already in CATALINA_OPTS come last and so win: override anything here from outside.

# Java 21 or newer: the connector (lib/notification-stream-connector.jar) and the application are
# built for it, and requests run on virtual threads. An older JVM would fail on the first class it
# loads ("UnsupportedClassVersionError ... LeanHttp11NioProtocol"); say plainly what is wrong instead.
# catalina.sh runs $JRE_HOME/bin/java, else $JAVA_HOME/bin/java, else the java on the PATH.
java_cmd=${JRE_HOME:-${JAVA_HOME:-}}
java_cmd=${java_cmd:+$java_cmd/bin/}java
java_version=$("$java_cmd" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
if [ -z "$java_version" ] || [ "${java_version%%.*}" -lt 21 ] 2>/dev/null; then
  echo "setenv.sh: notification-stream needs Java 21 or newer; $java_cmd is ${java_version:-not a Java} (set JAVA_HOME to a JDK 21+)" >&2
  exit 1
fi

# Thousands of open streams are thousands of open sockets, each a file descriptor, plus the JARs
# and logs. The usual soft limit of 1024 stops Tomcat at about 1000 streams with "Too many open
# files". Raise the soft limit to the hard limit; raise the hard limit in systemd (LimitNOFILE=) or
# docker (--ulimit nofile=65536:65536) for more.
# Warn below 16384: server.xml's maxConnections (10000) plus JARs, logs and database connections.
want_files=65536
need_files=16384
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$want_files" ]; then
  ulimit -n "$want_files" 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
  if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need_files" ]; then
    echo "setenv.sh: open-file limit is $(ulimit -n); each SSE stream needs one; raise the hard limit" >&2
  fi
fi

# Heap: about 5 KiB of live heap per held HTTP/1.1 stream, 35 KiB per async one (HTTP/2),
# measured (docs/scaling.md), on top of ~200 MiB for Tomcat and the application. A share of the
# machine or container rather than a fixed size, so the same file fits a 1 GiB container and a
# 16 GiB VM; with maxConnections=10000 give it at least 1 GiB.
#   -XX:MaxRAMPercentage=75   the rest is for thread stacks, metaspace, direct buffers, the kernel
# A storm of stream starts makes hundreds of MiB of garbage, and G1 keeps by default the heap it
# grew to (up to 70 % of it free after a collection, and never below 1/64 of the machine's memory):
# for long-lived small streams that is most of the process's memory. Start small and keep at most
# 30 % free after a collection, so the memory a storm took goes back to the system:
#   -Xms64m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30
# G1 (the JVM default) with a 100 ms pause goal: heartbeats and events should not stall behind a
# long collection; most garbage is per-event and dies young. ZGC trades more memory for shorter
# pauses: try -XX:+UseZGC if pauses show in event latency.
#   -XX:+ExitOnOutOfMemoryError   a JVM out of memory behaves unpredictably; dying lets systemd or
#                                 the orchestrator restart it, and every client resumes from its cursor.
# Tomcat reads ${NAME:-default} in server.xml and context.xml from the environment (then system
# properties): the settings of a container come from environment variables.
CATALINA_OPTS="-XX:MaxRAMPercentage=75 -Xms64m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30 \
 -XX:+UseG1GC -XX:MaxGCPauseMillis=100 \
 -XX:+ExitOnOutOfMemoryError \
 -Dorg.apache.tomcat.util.digester.PROPERTY_SOURCE=org.apache.tomcat.util.digester.EnvironmentPropertySource \
 $CATALINA_OPTS"
export CATALINA_OPTS
