//! The codec of every `expopass.v1` service and client: prost encoding, and
//! a decoder that answers what a client got wrong with `INVALID_ARGUMENT`
//! and a reason. A request that is not protobuf (truncated, garbage, a
//! string that is not UTF-8) gets `MALFORMED_MESSAGE`; one whose strings
//! break [`super::check`]'s rules gets `INVALID_FIELD` with its field
//! violations. prost's own codec answers both with `INTERNAL`, which tells
//! a client the fault is the server's.

use std::marker::PhantomData;

use prost::Message;
use tonic::{
    Status,
    codec::{BufferSettings, DecodeBuf, EncodeBuf},
};
use tonic_prost::ProstEncoder;

use super::check::CheckInput;
use crate::error::{AppError, ErrorKind, Reason};

/// `tonic::codec::Codec` for prost messages that implement [`CheckInput`].
#[derive(Debug, Clone)]
pub struct Codec<T, U>(PhantomData<(T, U)>);

impl<T, U> Default for Codec<T, U> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<T, U> tonic::codec::Codec for Codec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + CheckInput + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = Encoder<T>;
    type Decoder = Decoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        Encoder(ProstEncoder::default())
    }

    fn decoder(&mut self) -> Self::Decoder {
        Decoder(PhantomData)
    }
}

/// prost's encoder, unchanged.
#[derive(Debug, Clone)]
pub struct Encoder<T>(ProstEncoder<T>);

impl<T: Message> tonic::codec::Encoder for Encoder<T> {
    type Item = T;
    type Error = Status;

    fn encode(&mut self, item: T, buf: &mut EncodeBuf<'_>) -> Result<(), Status> {
        self.0.encode(item, buf)
    }

    fn buffer_settings(&self) -> BufferSettings {
        self.0.buffer_settings()
    }
}

/// Decodes a message, then checks its strings when it is a request.
#[derive(Debug, Clone)]
pub struct Decoder<U>(PhantomData<U>);

impl<U: Message + Default + CheckInput> tonic::codec::Decoder for Decoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        let message = match U::decode(buf) {
            Ok(message) => message,
            // A reply the client cannot read is the server's fault.
            Err(e) if !U::IS_REQUEST => return Err(Status::internal(e.to_string())),
            Err(e) => return Err(malformed(&e).into()),
        };
        if U::CHECKED_ON_DECODE {
            let violations = message.violations();
            if !violations.is_empty() {
                return Err(AppError::invalid_fields(violations).into());
            }
        }
        Ok(Some(message))
    }

    fn buffer_settings(&self) -> BufferSettings {
        BufferSettings::default()
    }
}

/// A request that is not a valid protobuf message of its type.
fn malformed(error: &prost::DecodeError) -> AppError {
    // prost's description names the field's message and wire type, never
    // the bytes.
    AppError::new(
        ErrorKind::InvalidArgument,
        Reason::MalformedMessage,
        format!("the request is not a valid protobuf message: {error}"),
    )
}
