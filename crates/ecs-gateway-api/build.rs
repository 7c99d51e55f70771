//! Compiles `proto/` with protox (pure Rust, no system `protoc`) and generates the tonic client
//! and server with tonic-prost-build. The encoded descriptor set is kept for gRPC reflection.

use std::path::PathBuf;

const PROTO_ROOT: &str = "../../proto";
const PROTO_FILE: &str = "storage/ecsgateway/v1/ecs_gateway.proto";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let fds = protox::compile([PROTO_FILE], [PROTO_ROOT])?;

    let encoded = prost::Message::encode_to_vec(&fds);
    std::fs::write(out_dir.join("ecs_gateway_descriptor.bin"), encoded)?;

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(fds)?;

    println!("cargo:rerun-if-changed={PROTO_ROOT}");
    Ok(())
}
