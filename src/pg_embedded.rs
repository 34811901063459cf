//! The private PostgreSQL cluster used when `DATABASE_URL` is not set.
//!
//! The cluster lives in `<data dir>/pg`, is created with `initdb` on first
//! use, listens on 127.0.0.1 only (a port chosen once and kept in
//! `<data dir>/pg.port`), and is shared: every process that uses it holds a
//! shared lock on `<data dir>/pg.users` while it does, and the last one to
//! leave stops it, whoever started it. A process killed with `kill -9`
//! loses its lock with it, so the next user adopts the cluster it left
//! running and stops it in turn. Starting and stopping are serialised by
//! an exclusive lock on `<data dir>/pg.lock`. `initdb` refuses to run as
//! root, so as root every PostgreSQL command runs as the `postgres` user on
//! a directory it owns.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
};

use anyhow::{Context as _, bail};
use tokio::process::Command;

/// Name of the database inside the private cluster.
pub(crate) const DATABASE_NAME: &str = "expopass";

/// A running private cluster.
#[derive(Debug)]
pub(crate) struct EmbeddedPg {
    bin_dir: PathBuf,
    cluster_dir: PathBuf,
    run_as: Option<String>,
    port: u16,
    /// `<data dir>/pg.lock`: held while starting or stopping.
    lock_path: PathBuf,
    /// `<data dir>/pg.users`, share-locked while this process uses the
    /// cluster.
    users: Option<std::fs::File>,
}

/// How `flock` should lock.
#[derive(Debug, Clone, Copy)]
enum Lock {
    Shared,
    Exclusive,
    /// Exclusive, or fail at once.
    ExclusiveNow,
}

/// `flock(2)` on an open file; `Ok(false)` when `ExclusiveNow` finds it
/// held by someone else.
fn flock(file: &std::fs::File, lock: Lock) -> std::io::Result<bool> {
    use std::os::fd::AsRawFd as _;
    let operation = match lock {
        Lock::Shared => libc::LOCK_SH,
        Lock::Exclusive => libc::LOCK_EX,
        Lock::ExclusiveNow => libc::LOCK_EX | libc::LOCK_NB,
    };
    loop {
        // SAFETY: flock on a file descriptor this process owns; no memory
        // is passed.
        if unsafe { libc::flock(file.as_raw_fd(), operation) } == 0 {
            return Ok(true);
        }
        let error = std::io::Error::last_os_error();
        match error.kind() {
            std::io::ErrorKind::Interrupted => {}
            std::io::ErrorKind::WouldBlock => return Ok(false),
            _ => return Err(error),
        }
    }
}

/// Opens (creating) `path` and locks it, on a blocking thread.
async fn lock_file(path: &Path, lock: Lock) -> anyhow::Result<std::fs::File> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || -> anyhow::Result<std::fs::File> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        flock(&file, lock).with_context(|| format!("cannot lock {}", path.display()))?;
        Ok(file)
    })
    .await?
}

impl EmbeddedPg {
    /// Creates the cluster if needed, starts it if it is not running, and
    /// makes sure the `expopass` database exists.
    pub(crate) async fn ensure_running(data_dir: &Path) -> anyhow::Result<Self> {
        let bin_dir = find_bin_dir()?;
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
        let data_dir = data_dir
            .canonicalize()
            .with_context(|| format!("cannot resolve {}", data_dir.display()))?;
        let (cluster_dir, run_as) = if is_root() {
            let (dir, user) = prepare_for_postgres_user(&data_dir).await?;
            (dir, Some(user))
        } else {
            (data_dir.join("pg"), None)
        };
        let port_file = data_dir.join("pg.port");
        let mut pg = Self {
            bin_dir,
            cluster_dir,
            run_as,
            port: 0,
            lock_path: data_dir.join("pg.lock"),
            users: None,
        };
        // No other process starts or stops the cluster meanwhile; this one
        // is a user from now on.
        let starting = lock_file(&pg.lock_path, Lock::Exclusive).await?;
        pg.users = Some(lock_file(&data_dir.join("pg.users"), Lock::Shared).await?);
        if !pg.cluster_dir.join("PG_VERSION").exists() {
            pg.port = free_port()?;
            pg.initdb().await?;
            std::fs::write(&port_file, format!("{}\n", pg.port))?;
        } else {
            let text = std::fs::read_to_string(&port_file)
                .with_context(|| format!("cannot read {}", port_file.display()))?;
            pg.port = text
                .trim()
                .parse()
                .with_context(|| format!("{} does not hold a port number", port_file.display()))?;
        }
        if pg.is_running().await? {
            tracing::debug!("the private cluster is running already: using it");
        } else {
            pg.start().await?;
        }
        drop(starting);
        pg.create_database().await?;
        tracing::info!(
            dir = %pg.cluster_dir.display(),
            port = pg.port,
            "DATABASE_URL is not set: using the private PostgreSQL cluster of the data directory"
        );
        Ok(pg)
    }

    /// URL of the `expopass` database.
    pub(crate) fn database_url(&self) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/{}",
            self.port, DATABASE_NAME
        )
    }

    /// Stops the cluster if this process is its last user; leaves it
    /// running for the others otherwise.
    pub(crate) async fn shutdown(mut self) -> anyhow::Result<()> {
        let stopping = lock_file(&self.lock_path, Lock::Exclusive).await?;
        let Some(users) = self.users.take() else {
            return Ok(());
        };
        let last = tokio::task::spawn_blocking(move || {
            flock(&users, Lock::ExclusiveNow).map(|last| (last, users))
        })
        .await??;
        if !last.0 {
            tracing::debug!("the private cluster has other users: left running");
            return Ok(());
        }
        if !self.is_running().await? {
            return Ok(());
        }
        let status = self
            .pg_command("pg_ctl")
            .arg("stop")
            .arg("-D")
            .arg(&self.cluster_dir)
            .args(["-m", "fast", "-w", "-s"])
            .status()
            .await?;
        if !status.success() {
            bail!("pg_ctl stop failed ({status})");
        }
        tracing::info!("private PostgreSQL cluster stopped");
        drop(last);
        drop(stopping);
        Ok(())
    }

    fn pg_command(&self, program: &str) -> Command {
        let path = self.bin_dir.join(program);
        let mut cmd = match &self.run_as {
            Some(user) => {
                let mut cmd = Command::new("runuser");
                cmd.args(["-u", user, "--"]).arg(path);
                cmd
            }
            None => Command::new(path),
        };
        cmd.stdin(Stdio::null()).kill_on_drop(false);
        cmd
    }

    async fn initdb(&self) -> anyhow::Result<()> {
        let output = self
            .pg_command("initdb")
            .arg("-D")
            .arg(&self.cluster_dir)
            .args([
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ])
            .output()
            .await
            .context("cannot run initdb")?;
        if !output.status.success() {
            bail!(
                "initdb failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        let settings = format!(
            "\n# expopass private cluster\nport = {}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\nmax_connections = 200\nlogging_collector = off\n",
            self.port
        );
        let conf = self.cluster_dir.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf)?;
        text.push_str(&settings);
        std::fs::write(&conf, text)?;
        Ok(())
    }

    async fn is_running(&self) -> anyhow::Result<bool> {
        let status = self
            .pg_command("pg_ctl")
            .arg("status")
            .arg("-D")
            .arg(&self.cluster_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await
            .context("cannot run pg_ctl")?;
        Ok(status.success())
    }

    async fn start(&self) -> anyhow::Result<()> {
        let log = self.cluster_dir.join("server.log");
        let output = self
            .pg_command("pg_ctl")
            .arg("start")
            .arg("-D")
            .arg(&self.cluster_dir)
            .arg("-l")
            .arg(&log)
            .args(["-w", "-t", "60", "-s"])
            .stdout(Stdio::null())
            .output()
            .await
            .context("cannot run pg_ctl")?;
        if !output.status.success() {
            bail!(
                "the private PostgreSQL cluster did not start ({}); see {}",
                String::from_utf8_lossy(&output.stderr).trim(),
                log.display()
            );
        }
        Ok(())
    }

    async fn create_database(&self) -> anyhow::Result<()> {
        use diesel::{ExpressionMethods as _, QueryDsl as _};
        use diesel_async::{AsyncConnection as _, AsyncPgConnection, RunQueryDsl as _};

        diesel::table! {
            pg_database (datname) {
                datname -> Text,
            }
        }
        let url = format!("postgres://postgres@127.0.0.1:{}/postgres", self.port);
        let mut conn = AsyncPgConnection::establish(&url)
            .await
            .context("cannot connect to the private PostgreSQL cluster")?;
        let exists: i64 = pg_database::table
            .filter(pg_database::datname.eq(DATABASE_NAME))
            .count()
            .get_result(&mut conn)
            .await?;
        if exists == 0 {
            diesel::sql_query(format!("CREATE DATABASE {DATABASE_NAME}"))
                .execute(&mut conn)
                .await?;
        }
        Ok(())
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// As root: the cluster directory must belong to `postgres`, in a place it
/// can reach. That is `<data dir>/pg` unless the data directory sits where
/// `postgres` cannot go (under `/root`, say): then the cluster lives in
/// `/var/lib/expopass/clusters/<hash of the data dir>/pg`, and a log line
/// says so.
async fn prepare_for_postgres_user(data_dir: &Path) -> anyhow::Result<(PathBuf, String)> {
    use std::os::unix::fs::PermissionsExt as _;

    let user = "postgres".to_owned();
    let as_user_ok = |args: Vec<String>| {
        let user = user.clone();
        async move {
            Command::new("runuser")
                .args(["-u", &user, "--"])
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .await
                .map(|s| s.success())
                .unwrap_or(false)
        }
    };
    if !as_user_ok(vec!["true".to_owned()]).await {
        bail!(
            "running as root needs a 'postgres' user to own the private PostgreSQL cluster (Debian's postgresql package creates it); or set DATABASE_URL"
        );
    }
    let mut perms = std::fs::metadata(data_dir)?.permissions();
    if perms.mode() & 0o001 == 0 {
        perms.set_mode(perms.mode() | 0o711);
        std::fs::set_permissions(data_dir, perms)?;
    }
    let reachable = as_user_ok(vec![
        "test".to_owned(),
        "-x".to_owned(),
        data_dir.display().to_string(),
    ])
    .await;
    let cluster_dir = if reachable {
        data_dir.join("pg")
    } else {
        use sha2::{Digest as _, Sha256};
        let digest = hex::encode(Sha256::digest(data_dir.as_os_str().as_encoded_bytes()));
        let home = PathBuf::from("/var/lib/expopass/clusters").join(&digest[..16]);
        std::fs::create_dir_all(&home)
            .with_context(|| format!("cannot create {}", home.display()))?;
        for dir in ["/var/lib/expopass", "/var/lib/expopass/clusters"] {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))?;
        }
        std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o755))?;
        tracing::info!(
            data_dir = %data_dir.display(),
            cluster = %home.join("pg").display(),
            "the postgres user cannot reach the data directory: the private cluster lives outside it"
        );
        home.join("pg")
    };
    std::fs::create_dir_all(&cluster_dir)?;
    std::fs::set_permissions(&cluster_dir, std::fs::Permissions::from_mode(0o700))?;
    let chown = Command::new("chown")
        .arg("-R")
        .arg(format!("{user}:"))
        .arg(&cluster_dir)
        .status()
        .await?;
    if !chown.success() {
        bail!("cannot give {} to the postgres user", cluster_dir.display());
    }
    Ok((cluster_dir, user))
}

/// Finds `initdb` and `pg_ctl`: on PATH, else the newest
/// `/usr/lib/postgresql/*/bin` (`EXPOPASS_PG_SEARCH_DIR` replaces that root).
fn find_bin_dir() -> anyhow::Result<PathBuf> {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if has_both(&dir) {
                // Debian links some binaries into PATH: use the real directory
                // so every tool comes from one installation.
                let real = dir.join("initdb").canonicalize().ok();
                if let Some(parent) = real.as_deref().and_then(Path::parent)
                    && has_both(parent)
                {
                    return Ok(parent.to_path_buf());
                }
                return Ok(dir);
            }
        }
    }
    // Where distributions install PostgreSQL (overridable for tests).
    let root =
        std::env::var_os("EXPOPASS_PG_SEARCH_DIR").unwrap_or_else(|| "/usr/lib/postgresql".into());
    let mut candidates: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            has_both(&bin).then_some((version, bin))
        })
        .collect();
    candidates.sort();
    match candidates.pop() {
        Some((_, bin)) => Ok(bin),
        None => bail!(
            "PostgreSQL is not installed: install it (Debian/Ubuntu: apt-get install postgresql) or set DATABASE_URL to a running server"
        ),
    }
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}
