# syntax=docker/dockerfile:1
# emcachers: build the shaded jar with Maven and JDK 17, run it on a JRE 17 as a non-root user.
# Unverified here (no Docker engine on the machines this was written on); DeploymentFilesTest
# checks its structure. Build: docker build -t emcachers .   Run: see docker-compose.yml.

FROM maven:3.9.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml ./
COPY conf conf
COPY modules modules
COPY launcher launcher
COPY bench bench
# the Maven cache survives between builds (BuildKit cache mount)
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -q -ntp package -DskipTests -pl launcher -am \
 && cp launcher/target/emcachers.jar /emcachers.jar

FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 10001 emcachers \
 && useradd --system --uid 10001 --gid emcachers --home-dir /data --shell /usr/sbin/nologin emcachers \
 && mkdir -p /data /app \
 && chown emcachers:emcachers /data
COPY --from=build /emcachers.jar /app/emcachers.jar
# caches (dbs/), meta.sqlite and nothing else: keep it on a volume so a restart resumes
ENV EMC_DATA_DIR=/data \
    EMC_API_PORT=8080 \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75"
VOLUME ["/data"]
WORKDIR /data
USER emcachers:emcachers
EXPOSE 8080
# /health is open (no key); bash's /dev/tcp needs no curl in the image. 200 carries "UP".
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${EMC_API_PORT}; printf 'GET /health HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3; head -c 4096 <&3 | grep -q '\"status\":\"UP\"'"]
ENTRYPOINT ["java", "-jar", "/app/emcachers.jar"]
# EMC_MONGO_URL, EMC_PG_URL and EMC_API_KEY come from the environment
CMD ["run"]
