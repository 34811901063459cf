//! Calls with bytes of our choosing: what a broken or hostile client sends.

use bytes::{Buf as _, BufMut as _};
use tonic::{
    Request, Status,
    codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder},
};

/// A codec that sends and receives raw message bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawCodec;

#[derive(Debug, Clone, Copy, Default)]
pub struct RawEncoder;

#[derive(Debug, Clone, Copy, Default)]
pub struct RawDecoder;

impl Encoder for RawEncoder {
    type Item = Vec<u8>;
    type Error = Status;
    fn encode(&mut self, item: Vec<u8>, buf: &mut EncodeBuf<'_>) -> Result<(), Status> {
        buf.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawDecoder {
    type Item = Vec<u8>;
    type Error = Status;
    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        let mut bytes = vec![0; buf.remaining()];
        buf.copy_to_slice(&mut bytes);
        Ok(Some(bytes))
    }
}

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawEncoder;
    type Decoder = RawDecoder;
    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }
    fn decoder(&mut self) -> RawDecoder {
        RawDecoder
    }
}

/// How an RPC streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Unary,
    ClientStreaming,
    ServerStreaming,
}

/// Calls `path` (e.g. "/expopass.v1.EventService/GetEvent") with these
/// messages as `token`'s bearer; returns the status the call ended with
/// (OK when it succeeded). A server stream is read for at most `read_for`.
pub async fn call(
    channel: tonic::transport::Channel,
    token: &str,
    path: &str,
    shape: Shape,
    messages: Vec<Vec<u8>>,
    read_for: std::time::Duration,
) -> Status {
    let mut grpc = tonic::client::Grpc::new(channel)
        .max_encoding_message_size(usize::MAX)
        .max_decoding_message_size(64 * 1024 * 1024);
    if let Err(e) = grpc.ready().await {
        return Status::unavailable(format!("not ready: {e}"));
    }
    let path: http::uri::PathAndQuery = match path.parse() {
        Ok(p) => p,
        Err(_) => return Status::internal("bad path in the test"),
    };
    fn authorize<T>(request: &mut Request<T>, token: &str) {
        if let Ok(value) = format!("Bearer {token}").parse() {
            request.metadata_mut().insert("authorization", value);
        }
    }
    match shape {
        Shape::Unary => {
            let mut request = Request::new(messages.into_iter().next().unwrap_or_default());
            authorize(&mut request, token);
            match grpc.unary(request, path, RawCodec).await {
                Ok(_) => Status::ok(""),
                Err(status) => status,
            }
        }
        Shape::ClientStreaming => {
            let mut request = Request::new(tokio_stream::iter(messages));
            authorize(&mut request, token);
            match grpc.client_streaming(request, path, RawCodec).await {
                Ok(_) => Status::ok(""),
                Err(status) => status,
            }
        }
        Shape::ServerStreaming => {
            let mut request = Request::new(messages.into_iter().next().unwrap_or_default());
            authorize(&mut request, token);
            let mut stream = match grpc.server_streaming(request, path, RawCodec).await {
                Ok(response) => response.into_inner(),
                Err(status) => return status,
            };
            let deadline = tokio::time::Instant::now() + read_for;
            loop {
                match tokio::time::timeout_at(deadline, stream.message()).await {
                    Err(_) | Ok(Ok(None)) => return Status::ok(""),
                    Ok(Ok(Some(_))) => {}
                    Ok(Err(status)) => return status,
                }
            }
        }
    }
}
