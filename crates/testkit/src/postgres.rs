//! A PostgreSQL server of the test's own, from the machine's PostgreSQL (Debian's `postgresql`):
//! a new cluster in a temporary folder, on 127.0.0.1 and a free port, trusted, stopped and
//! removed when dropped. Root starts it as the `postgres` user, as PostgreSQL requires.
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running test server.
#[derive(Debug)]
pub struct Postgres {
    dir: PathBuf,
    child: Child,
    bin: PathBuf,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

/// Where PostgreSQL's programs are: Debian keeps them under `/usr/lib/postgresql/N/bin`.
fn bin_dir() -> Result<PathBuf, String> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|e| format!("no PostgreSQL here (apt-get install postgresql): {e}"))?
        .filter_map(|entry| Some(entry.ok()?.path().join("bin")))
        .filter(|bin| bin.join("initdb").is_file())
        .collect();
    found.sort();
    found
        .pop()
        .ok_or_else(|| "no PostgreSQL here (apt-get install postgresql)".into())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// `program` run as the `postgres` user when we are root.
fn as_owner(program: &Path) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn run(mut command: Command) -> Result<(), String> {
    let out = command.output().map_err(|e| format!("{command:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

impl Postgres {
    /// Starts a new server and waits until it takes connections.
    pub fn start() -> Result<Self, String> {
        let bin = bin_dir()?;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let dir = std::env::temp_dir().join(format!("live-shop-pg-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        if is_root() {
            run({
                let mut c = Command::new("chown");
                c.arg("postgres").arg(&dir);
                c
            })?;
        }
        let data = dir.join("data");
        run({
            let mut c = as_owner(&bin.join("initdb"));
            c.arg("-D").arg(&data).args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ]);
            c
        })?;
        let child = as_owner(&bin.join("postgres"))
            .arg("-D")
            .arg(&data)
            .arg("-k")
            .arg(&dir)
            .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1"])
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off", "-c", "max_connections=200"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("postgres: {e}"))?;
        let server = Self {
            dir,
            child,
            bin,
            port,
        };
        let started = Instant::now();
        loop {
            let ready = Command::new(server.bin.join("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string()])
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return Ok(server);
            }
            if started.elapsed() > Duration::from_secs(30) {
                return Err("PostgreSQL did not start in 30 s".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Makes a new database and gives its URL.
    pub fn database(&self, name: &str) -> Result<String, String> {
        run({
            let mut c = Command::new(self.bin.join("psql"));
            c.args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
                .args(["-U", "postgres", "-d", "postgres", "-c"])
                .arg(format!("CREATE DATABASE \"{name}\""));
            c
        })?;
        Ok(format!(
            "postgres://postgres@127.0.0.1:{}/{name}",
            self.port
        ))
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // A fast shutdown (SIGINT) ends the server and its children cleanly. The child may be
        // `runuser`, which passes no signal on: the server's own pid is in its pid file.
        let pid = std::fs::read_to_string(self.dir.join("data/postmaster.pid"))
            .ok()
            .and_then(|text| text.lines().next().map(str::to_string))
            .unwrap_or_else(|| self.child.id().to_string());
        let _ = Command::new("kill").args(["-INT", &pid]).status();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
