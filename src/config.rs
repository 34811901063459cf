//! Configuration from flags and environment. Fails fast with one clear line.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};

use anyhow::{Context as _, bail};
use base64::Engine as _;
use secrecy::{ExposeSecret as _, SecretString, zeroize::Zeroizing};

pub use crate::domain::DocumentKey;

/// Where the database is.
#[derive(Debug, Clone)]
pub enum DatabaseTarget {
    /// `DATABASE_URL`: a server run by someone else.
    Url(String),
    /// The private cluster under the data directory.
    Embedded,
}

/// Settings shared by every subcommand that touches the database.
#[derive(Debug, Clone)]
pub struct Config {
    pub database: DatabaseTarget,
    /// `EXPOPASS_DATA_DIR`: the private cluster, the document key file.
    pub data_dir: PathBuf,
    /// Connections in the pool.
    pub pool_size: usize,
    /// `EXPOPASS_DOCUMENT_KEY`: base64 of 32 bytes. When absent, a key file
    /// in the data directory is used (created on first use).
    pub document_key: Option<SecretString>,
}

/// Settings of `expopass serve`.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    /// Apply pending migrations on start.
    pub migrate: bool,
    /// Calls in flight at once before new ones are refused with
    /// `RESOURCE_EXHAUSTED`.
    pub max_in_flight: usize,
    /// Largest accepted request message.
    pub max_message_bytes: usize,
    /// Deadline of a unary call when the client sets none.
    pub request_timeout: std::time::Duration,
    /// Client connections open at once (`listener`).
    pub max_connections: usize,
    /// Time a new connection has to send its first bytes (and, with TLS,
    /// to finish its handshake).
    pub handshake_timeout: std::time::Duration,
    /// The certificate to serve TLS with; plaintext when `None`.
    pub tls: Option<crate::tls::ServerTls>,
    /// Where Prometheus metrics are served over HTTP; off when `None`.
    pub metrics_listen: Option<SocketAddr>,
}

/// Time a new connection has to send its first bytes.
pub const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

impl ServeConfig {
    /// Refuses a plaintext listener off loopback: credentials would cross the
    /// network in clear. With TLS any address is fine.
    pub fn check(&self, allow_plaintext_remote: bool) -> anyhow::Result<()> {
        if self.tls.is_none() && !self.listen.ip().is_loopback() && !allow_plaintext_remote {
            bail!(
                "refusing to serve plaintext gRPC on {} (not loopback); give --tls-cert and --tls-key, or put a TLS-terminating proxy in front and pass --allow-plaintext-remote",
                self.listen
            );
        }
        Ok(())
    }
}

impl Config {
    /// The settings of the database and the key, read from the environment
    /// where flags left them out: `database_url` and `data_dir` as the
    /// command line gave them (flags or their environment variables), the
    /// document key from `EXPOPASS_DOCUMENT_KEY` only, never from a flag
    /// (a flag would show in the process list).
    pub fn from_env(database_url: Option<&str>, data_dir: PathBuf, pool_size: usize) -> Self {
        let document_key = std::env::var("EXPOPASS_DOCUMENT_KEY")
            .ok()
            .filter(|k| !k.is_empty())
            .map(SecretString::from);
        let database = match database_url.filter(|u| !u.is_empty()) {
            Some(url) => DatabaseTarget::Url(url.to_owned()),
            None => DatabaseTarget::Embedded,
        };
        Config {
            database,
            data_dir,
            pool_size: pool_size.max(1),
            document_key,
        }
    }

    /// The 32-byte key that encrypts travel documents.
    pub fn load_document_key(&self) -> anyhow::Result<DocumentKey> {
        if let Some(text) = &self.document_key {
            return key_from_base64(text.expose_secret())
                .context("EXPOPASS_DOCUMENT_KEY must be 32 bytes in base64");
        }
        let path = self.data_dir.join("document.key");
        if let DatabaseTarget::Url(_) = self.database {
            tracing::warn!(
                path = %path.display(),
                "EXPOPASS_DOCUMENT_KEY is not set: using the key file in the data directory; every instance on this database needs the same key"
            );
        }
        key_file(&path)
    }
}

/// A key written as base64 of 32 bytes; every copy of it is wiped.
fn key_from_base64(text: &str) -> anyhow::Result<DocumentKey> {
    let bytes = Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .context("not valid base64")?,
    );
    let mut key = Box::new([0u8; 32]);
    anyhow::ensure!(bytes.len() == 32, "not 32 bytes");
    key.copy_from_slice(&bytes);
    Ok(DocumentKey::new(key))
}

/// Reads a base64 key file, creating it (mode 0600) on first use.
fn key_file(path: &Path) -> anyhow::Result<DocumentKey> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;

    let engine = base64::engine::general_purpose::STANDARD;
    match std::fs::read_to_string(path).map(Zeroizing::new) {
        Ok(text) => key_from_base64(&text)
            .with_context(|| format!("{} must hold 32 bytes in base64", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            let mut key = Box::new([0u8; 32]);
            getrandom::fill(key.as_mut_slice())
                .map_err(|e| anyhow::anyhow!("no system randomness: {e}"))?;
            let key = DocumentKey::new(key);
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            writeln!(
                file,
                "{}",
                Zeroizing::new(engine.encode(key.expose_secret())).as_str()
            )?;
            tracing::info!(path = %path.display(), "created a new travel-document key");
            Ok(key)
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}
