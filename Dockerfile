# syntax=docker/dockerfile:1.7
# One image with the four storage-snapshot-manager binaries; each Deployment runs its own
# (command: /usr/local/bin/<component>). One image means one build, one scan and one tag to
# roll out, and the components can never run mismatched builds of the shared crates.
#
#   make images                      # or:
#   docker build -t storage-snapshot-manager:0.1.0 .

ARG RUST_IMAGE=rust:1.95-slim-bookworm
# Debian 12 like the build stage, so the glibc the binaries link against is the one they get.
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot

FROM ${RUST_IMAGE} AS build
WORKDIR /src
COPY . .
# The caches keep the registry and target dir between builds on the same machine.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
        --bin ecs-gateway --bin policy-listener --bin pvc-reconciler --bin snapshot-reconciler \
 && mkdir -p /out \
 && cp target/release/ecs-gateway target/release/policy-listener \
       target/release/pvc-reconciler target/release/snapshot-reconciler /out/

# distroless/cc: glibc, libgcc and CA certificates, no shell or package manager; runs as the
# unprivileged user 65532 ("nonroot"), the UID the chart's securityContext names. The time
# zone database is compiled into the binaries (jiff tzdb-bundle-always).
FROM ${RUNTIME_IMAGE}
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="storage-snapshot-manager" \
      org.opencontainers.image.description="ecs-gateway, policy-listener, pvc-reconciler, snapshot-reconciler" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /out/ /usr/local/bin/
USER 65532:65532
EXPOSE 8443 9090
# No default component: the chart always sets the command. Without one, list the flags.
ENTRYPOINT ["/usr/local/bin/ecs-gateway"]
CMD ["--help"]
