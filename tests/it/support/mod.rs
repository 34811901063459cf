//! Test support: a real PostgreSQL database per test (cloned from a migrated
//! template), the real server on 127.0.0.1:0, typed gRPC clients.

pub mod builders;
pub mod pdf;
pub mod raw;
pub mod serve;

use std::time::Duration;

use diesel_async::{AsyncConnection as _, AsyncPgConnection, RunQueryDsl as _};
use expopass::{
    config::ServeConfig,
    domain::{Role, Services},
    proto::pb::{
        badge_service_client::BadgeServiceClient,
        badge_template_service_client::BadgeTemplateServiceClient,
        event_service_client::EventServiceClient, gate_service_client::GateServiceClient,
        registration_service_client::RegistrationServiceClient,
    },
};
use tokio::sync::{OnceCell, oneshot};
use tonic::{
    Request, Status,
    service::{Interceptor, interceptor::InterceptedService},
    transport::Channel,
};
use tonic_types::StatusExt as _;

/// Waits until the server's health says SERVING (it has reached its
/// database), as a load balancer would before sending it calls.
async fn wait_until_serving(channel: Channel) {
    use tonic_health::pb::{
        HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
    };
    let mut health = HealthClient::new(channel);
    for _ in 0..200 {
        let status = health
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .map(|r| r.into_inner().status());
        if status.is_ok_and(|s| s == ServingStatus::Serving) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the test server never became SERVING");
}

/// The server of the tests: `EXPOPASS_TEST_DATABASE_URL`, else the machine's
/// PostgreSQL on 127.0.0.1:5432.
pub fn server_url() -> String {
    std::env::var("EXPOPASS_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
        .trim_end_matches('/')
        .to_owned()
}

static TEMPLATE: OnceCell<String> = OnceCell::const_new();

/// A name that changes whenever the migrations change, so a stale template
/// from an earlier run is never used.
fn template_name() -> String {
    use sha2::{Digest as _, Sha256};
    let mut hasher = Sha256::new();
    let mut dirs: Vec<_> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .expect("migrations dir")
        .map(|e| e.expect("entry").path())
        .collect();
    dirs.sort();
    for dir in dirs {
        for file in ["up.sql", "down.sql"] {
            hasher.update(std::fs::read(dir.join(file)).unwrap_or_default());
        }
    }
    format!("expopass_tmpl_{}", &hex::encode(hasher.finalize())[..12])
}

async fn admin_connection() -> AsyncPgConnection {
    AsyncPgConnection::establish(&format!("{}/postgres", server_url()))
        .await
        .expect("PostgreSQL must run on 127.0.0.1:5432 (or set EXPOPASS_TEST_DATABASE_URL)")
}

async fn template() -> &'static str {
    TEMPLATE
        .get_or_init(|| async {
            let name = template_name();
            let mut conn = admin_connection().await;
            // Serialise template creation across test processes.
            diesel::sql_query("SELECT pg_advisory_lock(72346001)")
                .execute(&mut conn)
                .await
                .expect("lock");
            #[derive(diesel::QueryableByName)]
            struct Found {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            let found: Found = diesel::sql_query(format!(
                "SELECT count(*) AS n FROM pg_database WHERE datname = '{name}'"
            ))
            .get_result(&mut conn)
            .await
            .expect("query");
            if found.n == 0 {
                let building = format!("{name}_build");
                diesel::sql_query(format!("DROP DATABASE IF EXISTS {building}"))
                    .execute(&mut conn)
                    .await
                    .expect("drop");
                diesel::sql_query(format!("CREATE DATABASE {building}"))
                    .execute(&mut conn)
                    .await
                    .expect("create template");
                expopass::db::migrate(&format!("{}/{building}", server_url()))
                    .await
                    .expect("migrate template");
                diesel::sql_query(format!("ALTER DATABASE {building} RENAME TO {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("rename template");
            }
            diesel::sql_query("SELECT pg_advisory_unlock(72346001)")
                .execute(&mut conn)
                .await
                .expect("unlock");
            name
        })
        .await
}

/// A database of one test; dropped with it.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    /// A fresh migrated database.
    pub async fn new() -> Self {
        let template = template().await;
        let name = format!("expopass_t_{}", uuid::Uuid::new_v4().simple());
        let mut conn = admin_connection().await;
        diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let url = format!("{}/{name}", server_url());
        Self { name, url }
    }

    /// An empty database with no migrations applied.
    pub async fn empty() -> Self {
        let name = format!("expopass_t_{}", uuid::Uuid::new_v4().simple());
        let mut conn = admin_connection().await;
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let url = format!("{}/{name}", server_url());
        Self { name, url }
    }

    pub async fn connect(&self) -> AsyncPgConnection {
        AsyncPgConnection::establish(&self.url)
            .await
            .expect("connect")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Async work cannot run in drop: use a short-lived runtime on a thread.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if let Ok(mut conn) =
                    AsyncPgConnection::establish(&format!("{}/postgres", server_url())).await
                {
                    let _ =
                        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut conn)
                            .await;
                }
            });
        })
        .join();
    }
}

/// Adds `authorization: Bearer <token>` to every call.
#[derive(Clone)]
pub struct Bearer(pub Option<String>);

impl Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(token) = &self.0 {
            let value = format!("Bearer {token}")
                .parse()
                .map_err(|_| Status::internal("bad token"))?;
            request.metadata_mut().insert("authorization", value);
        }
        Ok(request)
    }
}

pub type Authed = InterceptedService<Channel, Bearer>;

/// The real server on a free loopback port, over a database of its own.
pub struct TestApp {
    pub db: TestDb,
    pub services: Services,
    pub admin_token: String,
    pub desk_token: String,
    pub gate_token: String,
    /// Where the server listens.
    pub addr: std::net::SocketAddr,
    channel: Channel,
    shutdown: Option<oneshot::Sender<()>>,
}

pub const TEST_DOCUMENT_KEY: [u8; 32] = [42; 32];

impl TestApp {
    pub async fn start() -> Self {
        Self::start_with(TestDb::new().await).await
    }

    pub async fn start_with(db: TestDb) -> Self {
        Self::start_configured(db, 512).await
    }

    /// A server that sheds calls beyond `max_in_flight`.
    pub async fn start_configured(db: TestDb, max_in_flight: usize) -> Self {
        Self::start_serving(db, max_in_flight, None).await
    }

    /// A server speaking TLS with `tls`; the test's channel trusts the CA
    /// certificate `ca_pem` and reaches the server as `localhost`.
    pub async fn start_tls(db: TestDb, tls: expopass::tls::ServerTls, ca_pem: &[u8]) -> Self {
        Self::start_serving(db, 512, Some((tls, ca_pem.to_vec()))).await
    }

    async fn start_serving(
        db: TestDb,
        max_in_flight: usize,
        tls: Option<(expopass::tls::ServerTls, Vec<u8>)>,
    ) -> Self {
        let pool = expopass::db::pool(&db.url, 8).expect("pool");
        let services = Services::new(
            pool,
            &expopass::domain::DocumentKey::new(Box::new(TEST_DOCUMENT_KEY)),
        );
        let (_, admin_token) = services
            .create_token("test admin", Role::Admin)
            .await
            .expect("token");
        let (_, desk_token) = services
            .create_token("test desk", Role::Desk)
            .await
            .expect("token");
        let (_, gate_token) = services
            .create_token("test gate", Role::Gate)
            .await
            .expect("token");
        let config = ServeConfig {
            listen: "127.0.0.1:0".parse().expect("addr"),
            migrate: false,
            max_in_flight,
            max_message_bytes: 16 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            max_connections: 1_000,
            handshake_timeout: expopass::config::HANDSHAKE_TIMEOUT,
            tls: tls.as_ref().map(|(server, _)| server.clone()),
            metrics_listen: None,
        };
        let listener = expopass::server::bind(config.listen).await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        let server_services = services.clone();
        tokio::spawn(async move {
            let shutdown = async {
                let _ = rx.await;
            };
            if let Err(e) =
                expopass::server::serve(server_services, &config, listener, shutdown).await
            {
                eprintln!("test server failed: {e:#}");
            }
        });
        let channel = match &tls {
            None => Channel::from_shared(format!("http://{addr}"))
                .expect("uri")
                .connect()
                .await
                .expect("connect to the test server"),
            Some((_, ca)) => tls_channel(addr.port(), ca)
                .await
                .expect("connect to the test server over TLS"),
        };
        wait_until_serving(channel.clone()).await;
        Self {
            db,
            services,
            admin_token,
            desk_token,
            gate_token,
            addr,
            channel,
            shutdown: Some(tx),
        }
    }

    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    fn bearer(&self, role: Option<Role>) -> Bearer {
        Bearer(role.map(|r| match r {
            Role::Admin => self.admin_token.clone(),
            Role::Desk => self.desk_token.clone(),
            Role::Gate => self.gate_token.clone(),
        }))
    }

    pub fn events_as(&self, role: Option<Role>) -> EventServiceClient<Authed> {
        EventServiceClient::with_interceptor(self.channel(), self.bearer(role))
    }

    pub fn events(&self) -> EventServiceClient<Authed> {
        self.events_as(Some(Role::Admin))
    }

    pub fn registration_as(&self, role: Option<Role>) -> RegistrationServiceClient<Authed> {
        RegistrationServiceClient::with_interceptor(self.channel(), self.bearer(role))
    }

    pub fn desk(&self) -> RegistrationServiceClient<Authed> {
        self.registration_as(Some(Role::Desk))
    }

    pub fn registration_admin(&self) -> RegistrationServiceClient<Authed> {
        self.registration_as(Some(Role::Admin))
    }

    pub fn badges_as(&self, role: Option<Role>) -> BadgeServiceClient<Authed> {
        BadgeServiceClient::with_interceptor(self.channel(), self.bearer(role))
            .max_decoding_message_size(64 * 1024 * 1024)
    }

    pub fn badges(&self) -> BadgeServiceClient<Authed> {
        self.badges_as(Some(Role::Desk))
    }

    pub fn templates_as(&self, role: Option<Role>) -> BadgeTemplateServiceClient<Authed> {
        BadgeTemplateServiceClient::with_interceptor(self.channel(), self.bearer(role))
            .max_decoding_message_size(64 * 1024 * 1024)
    }

    pub fn templates(&self) -> BadgeTemplateServiceClient<Authed> {
        self.templates_as(Some(Role::Admin))
    }

    pub fn gates_as(&self, role: Option<Role>) -> GateServiceClient<Authed> {
        GateServiceClient::with_interceptor(self.channel(), self.bearer(role))
    }

    pub fn gates(&self) -> GateServiceClient<Authed> {
        self.gates_as(Some(Role::Gate))
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The `ErrorInfo.reason` of a status.
pub fn reason(status: &Status) -> String {
    status
        .get_details_error_info()
        .map(|info| info.reason)
        .unwrap_or_default()
}

/// The `ErrorInfo.metadata` value of a status.
pub fn metadata(status: &Status, key: &str) -> Option<String> {
    status
        .get_details_error_info()
        .and_then(|info| info.metadata.get(key).cloned())
}

/// The fields named by `BadRequest` violations.
pub fn violated_fields(status: &Status) -> Vec<String> {
    status
        .get_details_bad_request()
        .map(|br| br.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

/// A channel to `localhost:port` over TLS, trusting only the CA `ca_pem`.
pub async fn tls_channel(port: u16, ca_pem: &[u8]) -> Result<Channel, tonic::transport::Error> {
    Channel::from_shared(format!("https://localhost:{port}"))
        .expect("uri")
        .tls_config(
            tonic::transport::ClientTlsConfig::new()
                .ca_certificate(tonic::transport::Certificate::from_pem(ca_pem))
                .domain_name("localhost"),
        )?
        .connect()
        .await
}
