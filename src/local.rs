//! The real gRPC server started inside this process on a free loopback
//! port, and an authenticated client channel to it: what `demo` and `bench`
//! drive, over the same wire a desk uses.

use std::time::Duration;

use anyhow::Context as _;
use tonic::{
    metadata::{Ascii, MetadataValue},
    service::{Interceptor, interceptor::InterceptedService},
    transport::Channel,
};

use crate::{config::ServeConfig, domain::Services};

/// Adds `authorization: Bearer <token>` to every call.
#[derive(Clone)]
pub struct Bearer(MetadataValue<Ascii>);

impl Bearer {
    pub fn new(token: &str) -> anyhow::Result<Self> {
        Ok(Self(
            format!("Bearer {token}")
                .parse()
                .context("a token is ASCII")?,
        ))
    }
}

impl Interceptor for Bearer {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        request
            .metadata_mut()
            .insert("authorization", self.0.clone());
        Ok(request)
    }
}

/// A channel whose calls carry a token.
pub type Authed = InterceptedService<Channel, Bearer>;

/// A server running in this process.
pub struct LocalServer {
    pub channel: Channel,
    pub addr: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl LocalServer {
    /// Serves `services` on 127.0.0.1 (a free port) and connects to it.
    pub async fn start(services: Services) -> anyhow::Result<Self> {
        let config = ServeConfig {
            listen: "127.0.0.1:0".parse()?,
            migrate: false,
            max_in_flight: 4096,
            max_message_bytes: 64 * 1024 * 1024,
            request_timeout: Duration::from_secs(300),
            max_connections: 1_000,
            handshake_timeout: crate::config::HANDSHAKE_TIMEOUT,
        };
        let listener = crate::server::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            crate::server::serve(services, &config, listener, async {
                let _ = stopped.await;
            })
            .await
        });
        let channel = Channel::from_shared(format!("http://{addr}"))?
            .connect()
            .await?;
        Ok(Self {
            channel,
            addr,
            stop,
            task,
        })
    }

    /// A channel to the server carrying `token`.
    pub fn client(&self, token: &str) -> anyhow::Result<Authed> {
        Ok(InterceptedService::new(
            self.channel.clone(),
            Bearer::new(token)?,
        ))
    }

    /// Stops the server and waits for it.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.task.await?
    }
}
