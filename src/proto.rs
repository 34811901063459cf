//! Generated gRPC types of `expopass.v1`, reached everywhere as `pb::...`.

#[expect(clippy::all, reason = "generated code")]
pub mod pb {
    tonic::include_proto!("expopass.v1");
}

/// The encoded `FileDescriptorSet` of every proto file, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("expopass_descriptor");
