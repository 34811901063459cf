//! TLS for the gRPC listener: a certificate that reloads without a
//! restart, handshakes that cannot hold up the accept loop, and the venue
//! CA that `expopass tls init` makes.
//!
//! - The server's certificate and key are PEM files. They are read again
//!   on SIGHUP and when either file changes (checked every
//!   [`RELOAD_POLL`]); a new pair serves the next handshake, connections
//!   already open keep theirs. A pair that does not load (half-copied
//!   files, a key that does not match) is logged and the old pair kept.
//! - Each handshake runs on a task of its own within the listener's
//!   handshake deadline: a client that stops mid-handshake costs its own
//!   connection only.
//! - ALPN offers `h2` and `http/1.1` (gRPC-Web from browsers).

use std::{
    io,
    path::{Path, PathBuf},
    sync::{Arc, RwLock},
    time::{Duration, SystemTime},
};

use anyhow::Context as _;
use futures::{Stream, StreamExt as _};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject as _};
use sha2::{Digest as _, Sha256};
use tokio_rustls::{
    TlsAcceptor,
    rustls::{
        self, ServerConfig,
        server::{ClientHello, ResolvesServerCert},
        sign::CertifiedKey,
    },
    server::TlsStream,
};

use crate::listener::Connection;

/// How often the certificate files are checked for changes.
pub const RELOAD_POLL: Duration = Duration::from_secs(2);

/// Handshakes in progress at once, beyond which accepted sockets wait.
const PARALLEL_HANDSHAKES: usize = 256;

/// Where the server's certificate chain and key are.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Reads a certificate chain and its key, checking that they belong
/// together.
fn load(files: &TlsFiles) -> anyhow::Result<Arc<CertifiedKey>> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .with_context(|| format!("cannot read {}", files.cert.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("{} is not a PEM certificate chain", files.cert.display()))?;
    if chain.is_empty() {
        anyhow::bail!("{} holds no certificate", files.cert.display());
    }
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .with_context(|| format!("{} is not a PEM private key", files.key.display()))?;
    let certified = CertifiedKey::from_der(chain, key, &provider()).with_context(|| {
        format!(
            "{} does not go with {}",
            files.key.display(),
            files.cert.display()
        )
    })?;
    Ok(Arc::new(certified))
}

/// The certificate handshakes are answered with; replaced on reload.
#[derive(Debug)]
struct Current(RwLock<Arc<CertifiedKey>>);

impl ResolvesServerCert for Current {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.0.read().ok().map(|c| c.clone())
    }
}

/// A loaded certificate that can be reloaded, and the acceptor using it.
#[derive(Clone)]
pub struct ServerTls {
    files: TlsFiles,
    current: Arc<Current>,
    acceptor: TlsAcceptor,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls")
            .field("files", &self.files)
            .field("fingerprint", &self.fingerprint())
            .finish()
    }
}

impl ServerTls {
    /// Loads the files; fails when they do not make a usable pair.
    pub fn load(files: TlsFiles) -> anyhow::Result<Self> {
        let current = Arc::new(Current(RwLock::new(load(&files)?)));
        let mut config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .context("no TLS protocol version available")?
            .with_no_client_auth()
            .with_cert_resolver(current.clone());
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Self {
            files,
            current,
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }

    /// Reads the files again; on failure the certificate in use stays.
    pub fn reload(&self) -> anyhow::Result<()> {
        let fresh = load(&self.files)?;
        if let Ok(mut current) = self.current.0.write() {
            *current = fresh;
        }
        Ok(())
    }

    /// SHA-256 of the leaf certificate in use, in hex.
    pub fn fingerprint(&self) -> String {
        self.current
            .0
            .read()
            .ok()
            .and_then(|c| c.cert.first().map(|der| fingerprint(der)))
            .unwrap_or_default()
    }

    /// Reloads on SIGHUP and when a file changes, until the process ends.
    pub fn watch(&self) -> tokio::task::JoinHandle<()> {
        let tls = self.clone();
        tokio::spawn(async move {
            let mut hangup =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
            let mut seen = stamps(&tls.files);
            loop {
                let signalled = async {
                    match hangup.as_mut() {
                        Some(s) => s.recv().await.is_some(),
                        None => std::future::pending().await,
                    }
                };
                let why = tokio::select! {
                    got = signalled => {
                        if !got {
                            // No more signals can come: keep watching the files.
                            hangup = None;
                            continue;
                        }
                        "SIGHUP"
                    }
                    () = tokio::time::sleep(RELOAD_POLL) => {
                        let now = stamps(&tls.files);
                        if now == seen {
                            continue;
                        }
                        seen = now;
                        "a changed file"
                    }
                };
                match tls.reload() {
                    Ok(()) => {
                        seen = stamps(&tls.files);
                        tracing::info!(
                            fingerprint = %tls.fingerprint(),
                            "TLS certificate reloaded after {why}"
                        );
                    }
                    Err(e) => tracing::warn!(
                        "TLS certificate not reloaded after {why}, the previous one stays: {e:#}"
                    ),
                }
            }
        })
    }

    /// Accepted connections, handshaken: a connection whose handshake
    /// fails or outlasts `deadline` is dropped without holding up others.
    pub fn incoming(
        &self,
        connections: impl Stream<Item = io::Result<Connection>> + Send + 'static,
        deadline: Duration,
    ) -> impl Stream<Item = io::Result<TlsStream<Connection>>> + Send + 'static {
        let acceptor = self.acceptor.clone();
        connections
            .map(move |connection| {
                let acceptor = acceptor.clone();
                async move {
                    let connection = connection.ok()?;
                    match tokio::time::timeout(deadline, acceptor.accept(connection)).await {
                        Ok(Ok(stream)) => Some(Ok(stream)),
                        Ok(Err(e)) => {
                            tracing::debug!("TLS handshake failed: {e}");
                            None
                        }
                        Err(_) => {
                            tracing::debug!("TLS handshake timed out");
                            None
                        }
                    }
                }
            })
            .buffer_unordered(PARALLEL_HANDSHAKES)
            .filter_map(std::future::ready)
    }
}

/// Modification times and sizes of the files (`None` when unreadable).
fn stamps(files: &TlsFiles) -> [Option<(SystemTime, u64)>; 2] {
    let stamp = |p: &Path| {
        std::fs::metadata(p)
            .ok()
            .and_then(|m| Some((m.modified().ok()?, m.len())))
    };
    [stamp(&files.cert), stamp(&files.key)]
}

/// SHA-256 of a DER certificate, as colon-separated hex pairs.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// What `tls init` made.
#[derive(Debug)]
pub struct VenueCa {
    pub ca_cert: PathBuf,
    pub ca_key: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    /// SHA-256 of the CA certificate.
    pub ca_fingerprint: String,
    /// Whether the CA was made now (false: an existing one signed).
    pub new_ca: bool,
}

/// Makes (or re-uses) the venue CA in `dir` and issues a server
/// certificate for `hosts` (names and IP addresses), valid `days` days.
pub fn init_venue_ca(dir: &Path, hosts: &[String], days: u32) -> anyhow::Result<VenueCa> {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
        ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    };
    let hosts: Vec<String> = hosts
        .iter()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .collect();
    if hosts.is_empty() {
        anyhow::bail!("--hosts needs at least one host name or IP address");
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let ca_cert = dir.join("ca.pem");
    let ca_key = dir.join("ca-key.pem");
    let server_cert = dir.join("server.pem");
    let server_key = dir.join("server-key.pem");
    let now = time::OffsetDateTime::now_utc();

    let new_ca = !(ca_cert.exists() && ca_key.exists());
    let (issuer, ca_pem) = if new_ca {
        let mut params = CertificateParams::default();
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, "Expopass venue CA");
        name.push(DnType::OrganizationName, "Expopass");
        params.distinguished_name = name;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.not_before = now - time::Duration::hours(1);
        params.not_after = now + time::Duration::days(3650);
        let key = KeyPair::generate().context("cannot make the CA key")?;
        let key_pem = key.serialize_pem();
        let ca_pem = CertifiedIssuer::self_signed(params, key)
            .context("cannot make the CA")?
            .pem();
        write_private(&ca_key, &key_pem)?;
        std::fs::write(&ca_cert, &ca_pem)
            .with_context(|| format!("cannot write {}", ca_cert.display()))?;
        let key = KeyPair::from_pem(&key_pem)?;
        (Issuer::from_ca_cert_pem(&ca_pem, key)?, ca_pem)
    } else {
        let ca_pem = std::fs::read_to_string(&ca_cert)
            .with_context(|| format!("cannot read {}", ca_cert.display()))?;
        let key = KeyPair::from_pem(
            &std::fs::read_to_string(&ca_key)
                .with_context(|| format!("cannot read {}", ca_key.display()))?,
        )
        .with_context(|| format!("{} is not a key", ca_key.display()))?;
        let issuer = Issuer::from_ca_cert_pem(&ca_pem, key)
            .with_context(|| format!("{} is not a CA certificate", ca_cert.display()))?;
        (issuer, ca_pem)
    };

    let mut params = CertificateParams::new(hosts).context("a host is not a valid name")?;
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "Expopass server");
    params.distinguished_name = name;
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.not_before = now - time::Duration::hours(1);
    params.not_after = now + time::Duration::days(i64::from(days.max(1)));
    let key = KeyPair::generate().context("cannot make the server key")?;
    let cert = params
        .signed_by(&key, &issuer)
        .context("cannot sign the server certificate")?;
    write_private(&server_key, &key.serialize_pem())?;
    std::fs::write(&server_cert, cert.pem())
        .with_context(|| format!("cannot write {}", server_cert.display()))?;

    let ca_der = CertificateDer::from_pem_slice(ca_pem.as_bytes())
        .context("the CA certificate does not read back")?;
    Ok(VenueCa {
        ca_cert,
        ca_key,
        server_cert,
        server_key,
        ca_fingerprint: fingerprint(&ca_der),
        new_ca,
    })
}

/// Writes a key readable by its owner only.
fn write_private(path: &Path, pem: &str) -> anyhow::Result<()> {
    use std::{fs::OpenOptions, io::Write as _, os::unix::fs::OpenOptionsExt as _};
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(pem.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}
