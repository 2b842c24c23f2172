# notification-stream on the official Tomcat 11 image, with the same tomcat-conf files the run
# command (./mvnw -DskipTests package exec:java) and the distribution tests use.
# Not built on our machines (no Docker engine there): keep it plain.
#
#   docker build -t notification-stream .
#   docker run -p 8080:8080 -e DATABASE_URL=postgres://user:password@db:5432/notifications \
#     -e USERS_DATABASE_URL=jdbc:postgresql://db:5432/notifications \
#     -e USERS_DATABASE_USER=realm -e USERS_DATABASE_PASSWORD=... notification-stream
# Every setting is an environment variable (README, "Deploying to Tomcat").

# --- Build: the WAR, and for Tomcat's lib/ the PostgreSQL driver and the connector (target/tomcat-lib)
FROM eclipse-temurin:21-jdk AS build
WORKDIR /src
COPY .mvn .mvn
COPY mvnw pom.xml ./
COPY db db
COPY webapp webapp
COPY src src
# Tests need a PostgreSQL and a Tomcat of their own; they run in CI (.ci/run), not here.
RUN ./mvnw -B -ntp -DskipTests package

# --- Run: Tomcat 11 on JDK 21 ---------------------------------------------------------------
# The exact Tomcat of pom.xml's tomcat.version (TomcatConfTest checks): the connector jar and the
# stream hand-over use its internals. On any other Tomcat both fall back to Tomcat's standard
# path and say so in the log (more memory per stream), so a floating tag would cost silently.
FROM tomcat:11.0.24-jdk21-temurin
# curl for the HEALTHCHECK; the image does not promise one.
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 notification \
 && useradd --system --uid 10001 --gid notification --no-create-home --home-dir /nonexistent notification \
 && rm -rf /usr/local/tomcat/webapps/*
COPY tomcat-conf/server.xml tomcat-conf/logging.properties /usr/local/tomcat/conf/
COPY tomcat-conf/context.xml /usr/local/tomcat/conf/Catalina/localhost/ROOT.xml
COPY tomcat-conf/setenv.sh /usr/local/tomcat/bin/setenv.sh
COPY --from=build /src/target/tomcat-lib/ /usr/local/tomcat/lib/
COPY --from=build /src/target/notification-stream.war /usr/local/tomcat/webapps/ROOT.war
# Tomcat writes logs, temp files, the unpacked WAR and its work files; nothing else is writable.
RUN chown -R notification:notification /usr/local/tomcat/logs /usr/local/tomcat/temp \
      /usr/local/tomcat/work /usr/local/tomcat/webapps /usr/local/tomcat/conf/Catalina
USER notification
EXPOSE 8080
# /health/ready: the database answers and the ChangeFeed is connected. start-period covers the
# migrations of a first start.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD curl -fsS -o /dev/null http://127.0.0.1:8080/health/ready || exit 1
# `docker stop` sends SIGTERM: Tomcat stops cleanly and every stream ends with a retry.
CMD ["catalina.sh", "run"]
