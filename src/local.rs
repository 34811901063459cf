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
        Self::start_with(services, None).await
    }

    /// As [`LocalServer::start`]; with `tls`, the server speaks TLS and the
    /// channel trusts only the CA certificate given beside it, reaching the
    /// server as `localhost`.
    pub async fn start_with(
        services: Services,
        tls: Option<(crate::tls::ServerTls, Vec<u8>)>,
    ) -> anyhow::Result<Self> {
        Self::start_at(services, "127.0.0.1:0".parse()?, tls).await
    }

    /// As [`LocalServer::start_with`], on `listen`.
    pub async fn start_at(
        services: Services,
        listen: std::net::SocketAddr,
        tls: Option<(crate::tls::ServerTls, Vec<u8>)>,
    ) -> anyhow::Result<Self> {
        let config = ServeConfig {
            listen,
            migrate: false,
            max_in_flight: 4096,
            max_message_bytes: 64 * 1024 * 1024,
            request_timeout: Duration::from_secs(300),
            max_connections: 1_000,
            handshake_timeout: crate::config::HANDSHAKE_TIMEOUT,
            tls: tls.as_ref().map(|(server, _)| server.clone()),
            metrics_listen: None,
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
        let channel = connect(addr, tls.as_ref().map(|(_, ca)| ca.as_slice())).await?;
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

/// A new connection to a server on this machine: plaintext, or TLS trusting
/// only `ca_pem` and reaching the server as `localhost`.
pub async fn connect(addr: std::net::SocketAddr, ca_pem: Option<&[u8]>) -> anyhow::Result<Channel> {
    let channel = match ca_pem {
        None => Channel::from_shared(format!("http://{addr}"))?,
        Some(ca) => Channel::from_shared(format!("https://localhost:{}", addr.port()))?
            .tls_config(
                tonic::transport::ClientTlsConfig::new()
                    .ca_certificate(tonic::transport::Certificate::from_pem(ca))
                    .domain_name("localhost"),
            )?,
    };
    Ok(channel.connect().await?)
}
