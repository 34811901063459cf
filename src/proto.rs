//! Generated gRPC types of `expopass.v1`, reached everywhere as `pb::...`,
//! and the codec every service and client of them uses.

pub mod check;
pub mod codec;

#[expect(clippy::all, reason = "generated code")]
pub mod pb {
    tonic::include_proto!("expopass.v1");
    include!(concat!(env!("OUT_DIR"), "/expopass.v1.check.rs"));
}

/// The encoded `FileDescriptorSet` of every proto file, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("expopass_descriptor");
