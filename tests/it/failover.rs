//! Losing the primary: a real primary and a streaming standby (initdb,
//! pg_basebackup, synchronous replication) on loopback ports; the server
//! names both in its URL with `target_session_attrs=read-write`. The
//! standby is promoted and the primary stopped while desks and gates are
//! busy: calls in the gap get UNAVAILABLE, the server serves again within
//! 10 s without a restart, no acknowledged registration is lost, and no
//! scan is decided wrongly.

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use diesel_async::{AsyncConnection as _, AsyncPgConnection};
use expopass::proto::pb;
use tonic::Code;

use crate::support::{
    TestApp, TestDb,
    builders::{person, register_request},
    serve::free_port,
};

/// Where Debian keeps the newest PostgreSQL's programs.
pub(crate) fn bin_dir() -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed (apt-get install postgresql)")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("pg_basebackup").exists())
        .collect();
    dirs.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    dirs.pop().expect("a PostgreSQL with pg_basebackup")
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// A PostgreSQL program, run as `postgres` when the tests run as root
/// (initdb refuses root).
fn pg(program: &str) -> Command {
    let path = bin_dir().join(program);
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(path);
        command
    } else {
        Command::new(path)
    }
}

fn run(command: &mut Command) {
    let output = command.output().expect("runs");
    assert!(
        output.status.success(),
        "{command:?}:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Two PostgreSQL servers: a primary, and a standby streaming from it
/// synchronously. Both are stopped when dropped.
struct Cluster {
    dir: tempfile::TempDir,
    primary_port: u16,
    standby_port: u16,
}

impl Cluster {
    fn data(&self, which: &str) -> PathBuf {
        self.dir.path().join(which)
    }

    fn start(&self, which: &str, port: u16) {
        let data = self.data(which);
        run(pg("pg_ctl")
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(self.dir.path().join(format!("{which}.log")))
            .args(["-w", "-t", "60", "start", "-o"])
            .arg(format!(
                "-p {port} -c listen_addresses=127.0.0.1 -k {}",
                self.dir.path().display()
            )));
    }

    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        if is_root() {
            run(Command::new("chown")
                .arg("postgres:postgres")
                .arg(dir.path()));
        }
        let cluster = Self {
            dir,
            primary_port: free_port(),
            standby_port: free_port(),
        };
        let primary = cluster.data("primary");
        run(pg("initdb")
            .arg("-D")
            .arg(&primary)
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
            .arg("--locale=C"));
        append(&primary.join("postgresql.conf"), "fsync = off\n");
        cluster.start("primary", cluster.primary_port);
        let standby = cluster.data("standby");
        run(pg("pg_basebackup")
            .args([
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-X",
                "stream",
                "-R",
                "-p",
            ])
            .arg(cluster.primary_port.to_string())
            .arg("-D")
            .arg(&standby));
        cluster.start("standby", cluster.standby_port);
        // Every commit waits for the standby: what is acknowledged survives
        // the primary. Set after the base backup, so that the standby, once
        // promoted, does not wait for a standby of its own.
        append(
            &primary.join("postgresql.conf"),
            "synchronous_standby_names = '*'\n",
        );
        run(pg("pg_ctl").arg("-D").arg(&primary).arg("reload"));
        cluster
    }

    fn url(&self, port: u16, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{port}/{database}")
    }

    /// Both hosts, the writable one chosen at each connection.
    fn failover_url(&self, database: &str) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{},127.0.0.1:{}/{database}?target_session_attrs=read-write",
            self.primary_port, self.standby_port
        )
    }

    fn promote_standby(&self) {
        run(pg("pg_ctl")
            .arg("-D")
            .arg(self.data("standby"))
            .args(["-w", "-t", "60", "promote"]));
    }

    fn stop(&self, which: &str) {
        let _ = pg("pg_ctl")
            .arg("-D")
            .arg(self.data(which))
            .args(["-w", "-t", "60", "-m", "fast", "stop"])
            .output();
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for which in ["primary", "standby"] {
            let _ = pg("pg_ctl")
                .arg("-D")
                .arg(self.data(which))
                .args(["-m", "immediate", "stop"])
                .output();
        }
    }
}

fn append(path: &Path, text: &str) {
    use std::io::Write as _;
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("config file");
    file.write_all(text.as_bytes()).expect("config written");
}

/// What the load saw, call by call.
#[derive(Default)]
struct Seen {
    /// Registrations answered OK.
    registered: Vec<String>,
    /// Status codes of failed calls, with when they failed.
    failures: Vec<(Instant, Code, String)>,
    /// Scans answered: (nonce, badge index, decision, reason).
    scans: Vec<(String, usize, pb::Decision, pb::DenyReason)>,
    /// Nonces whose scan failed, with their badge.
    failed_scans: Vec<(String, usize)>,
    /// When a call last succeeded.
    last_ok: Option<Instant>,
}

/// The order in which the primary is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Switch {
    /// Promote the standby, then stop the primary: for a moment both take
    /// connections; the old primary's commits wait for a standby that has
    /// gone, and are never acknowledged.
    PromoteFirst,
    /// Stop (fence) the primary, then promote: the primary's shutdown
    /// sends its last WAL to the synchronous standby first.
    StopFirst,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn promoting_the_standby_then_stopping_the_primary() {
    switch(Switch::PromoteFirst).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stopping_the_primary_then_promoting_the_standby() {
    switch(Switch::StopFirst).await;
}

async fn switch(order: Switch) {
    let cluster = Cluster::new();
    {
        let mut admin =
            AsyncPgConnection::establish(&cluster.url(cluster.primary_port, "postgres"))
                .await
                .expect("the primary answers");
        diesel_async::RunQueryDsl::execute(
            diesel::sql_query("CREATE DATABASE expopass"),
            &mut admin,
        )
        .await
        .expect("database");
        // Commits wait for the standby from here on.
        #[derive(diesel::QueryableByName)]
        struct State {
            #[diesel(sql_type = diesel::sql_types::Text)]
            sync_state: String,
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let states: Vec<State> = diesel_async::RunQueryDsl::load(
                diesel::sql_query("SELECT sync_state FROM pg_stat_replication"),
                &mut admin,
            )
            .await
            .expect("replication state");
            if states.iter().any(|s| s.sync_state == "sync") {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the standby never became synchronous"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    expopass::db::migrate(&cluster.url(cluster.primary_port, "expopass"))
        .await
        .expect("migrated");
    let app = TestApp::start_with(TestDb {
        name: format!("expopass_failover_{}", uuid::Uuid::new_v4().simple()),
        url: cluster.failover_url("expopass"),
    })
    .await;
    let venue = crate::gates::venue(&app, "FAILOVER").await;
    let mut badges = Vec::new();
    for i in 0..200 {
        badges.push(
            crate::gates::badge_holder(&app, &venue, &format!("Door{i}"), "VISITOR")
                .await
                .1
                .qr_text,
        );
    }
    let badges = Arc::new(badges);

    let seen = Arc::new(Mutex::new(Seen::default()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut load = Vec::new();
    // Two desks registering, two gates letting people in, one call at a
    // time each, with a deadline of a few seconds.
    for worker in 0..4usize {
        let (seen, stop, badges) = (seen.clone(), stop.clone(), badges.clone());
        let mut desk = app.desk();
        let mut gates = app.gates();
        let fixture = venue.fixture.clone();
        let hall = venue.hall.clone();
        load.push(tokio::spawn(async move {
            let mut n = 0usize;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                if worker < 2 {
                    let mut request = tonic::Request::new(register_request(
                        &fixture,
                        person(&format!("Desk{worker}x{n}"), "Failover"),
                    ));
                    request.set_timeout(Duration::from_secs(3));
                    let answer = desk.register_participant(request).await;
                    let mut seen = seen.lock().unwrap();
                    match answer {
                        Ok(r) => {
                            seen.registered
                                .push(r.into_inner().participant.expect("participant").id);
                            seen.last_ok = Some(Instant::now());
                        }
                        Err(s) => {
                            seen.failures
                                .push((Instant::now(), s.code(), s.message().to_owned()))
                        }
                    }
                } else {
                    // Each badge enters once; the two gates share them out.
                    let index = (n * 2 + worker - 2) % badges.len();
                    if n * 2 >= badges.len() {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                    let nonce = format!("fo-{index}");
                    let mut request = tonic::Request::new(crate::gates::scan_request(
                        &hall,
                        &badges[index],
                        &nonce,
                        pb::Direction::In,
                        crate::gates::DURING,
                    ));
                    request.set_timeout(Duration::from_secs(3));
                    let answer = gates.scan(request).await;
                    {
                        let mut seen = seen.lock().unwrap();
                        match answer {
                            Ok(r) => {
                                let r = r.into_inner();
                                seen.scans.push((nonce, index, r.decision(), r.reason()));
                                seen.last_ok = Some(Instant::now());
                            }
                            Err(s) => {
                                seen.failed_scans.push((nonce, index));
                                seen.failures.push((
                                    Instant::now(),
                                    s.code(),
                                    s.message().to_owned(),
                                ));
                            }
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }));
    }

    tokio::time::sleep(Duration::from_secs(1)).await;
    match order {
        Switch::PromoteFirst => {
            cluster.promote_standby();
            cluster.stop("primary");
        }
        Switch::StopFirst => {
            cluster.stop("primary");
            cluster.promote_standby();
        }
    }
    let switched = Instant::now();
    // Serving again: a call succeeds after the switch, within 10 s.
    let deadline = switched + Duration::from_secs(10);
    loop {
        let last_ok = seen.lock().unwrap().last_ok;
        if last_ok.is_some_and(|t| t > switched) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no call succeeded within 10 s of the switch; failures: {:?}",
            seen.lock().unwrap().failures
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let recovered = switched.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }

    let seen = Arc::try_unwrap(seen)
        .ok()
        .expect("load stopped")
        .into_inner()
        .unwrap();
    // Calls in the gap were told the database is away, nothing else.
    for (_, code, message) in &seen.failures {
        assert!(
            *code == Code::Unavailable,
            "a call in the switch got {code:?}: {message}"
        );
    }
    let registered_after = seen.registered.len();
    assert!(
        registered_after > 10,
        "the desks worked ({registered_after} registrations)"
    );
    eprintln!(
        "serving again {recovered:?} after the switch; {} calls failed meanwhile",
        seen.failures.len()
    );

    let mut desk = app.desk();
    // Every registration acknowledged is on the new primary, in either
    // order: a commit is acknowledged only once the standby has it.
    let mut checked = 0;
    for id in &seen.registered {
        desk.get_participant(pb::GetParticipantRequest { id: id.clone() })
            .await
            .unwrap_or_else(|s| panic!("acknowledged registration {id} lost: {s:?}"));
        checked += 1;
    }
    assert!(checked > 10, "{checked} registrations checked");
    // Every scan answered let its badge in (each badge entered once).
    for (nonce, _, decision, reason) in &seen.scans {
        assert_eq!(
            *decision,
            pb::Decision::Allow,
            "{nonce}: {reason:?} for a first entry"
        );
    }
    // A scan that failed is retried with its nonce: it lets the badge in
    // (recorded before the switch or not), and a second entry is refused.
    let mut gates = app.gates();
    for (nonce, index) in &seen.failed_scans {
        let retry = gates
            .scan(crate::gates::scan_request(
                &venue.hall,
                &badges[*index],
                nonce,
                pb::Direction::In,
                crate::gates::DURING,
            ))
            .await
            .expect("retry after the switch")
            .into_inner();
        assert_eq!(retry.decision(), pb::Decision::Allow, "{nonce}: {retry:?}");
    }
    let scanned: std::collections::BTreeSet<usize> = seen
        .scans
        .iter()
        .map(|s| s.1)
        .chain(seen.failed_scans.iter().map(|s| s.1))
        .collect();
    for index in scanned.iter().take(20) {
        let again = gates
            .scan(crate::gates::scan_request(
                &venue.hall,
                &badges[*index],
                &format!("again-{index}"),
                pb::Direction::In,
                crate::gates::DURING,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(again.reason(), pb::DenyReason::AlreadyInside, "{again:?}");
    }
}
