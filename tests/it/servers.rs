//! Real git servers for the tests, on 127.0.0.1 only, started by the test that needs
//! them and stopped when dropped: `sshd` (Debian package `openssh-server`) with host
//! and user keys made for the test, and `lighttpd` running `git http-backend` behind
//! basic authentication. `.ci/run` installs both packages when they are missing; a
//! test that finds one missing fails and says which package to install.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{expect_ok, hermetic, output_of};

/// The user name and password `HttpServer` accepts.
pub const HTTP_USER: &str = "alice";
pub const HTTP_PASSWORD: &str = "correct horse";

/// A program the tests need, or a failure naming the package that has it.
fn required(path: &str, package: &str) -> PathBuf {
    let path = PathBuf::from(path);
    assert!(
        path.is_file(),
        "{} is missing: install the Debian package {package} (`.ci/run` does)",
        path.display()
    );
    path
}

/// A free port on 127.0.0.1 (another process may take it before the server binds it:
/// callers retry).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `command` (a server listening on `port`) and waits until it accepts
/// connections; `None` when it exited first (the port was taken).
fn start(mut command: Command, port: u16, log: &Path) -> Option<Child> {
    let log = std::fs::File::create(log).unwrap();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("the server starts");
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(child);
        }
        if child.try_wait().unwrap().is_some() {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// A server process, killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A bare repository `name` under `root`, shared by a team: no forced or deleting
/// updates of the milestones ref, as a hosting service would protect a branch.
pub fn bare_remote(home: &Path, root: &Path, name: &str) -> PathBuf {
    let path = root.join(name);
    let mut init = hermetic("git", home);
    init.args(["init", "-q", "--bare", "-b", "main"]).arg(&path);
    expect_ok(&output_of(&mut init, None), "git init --bare");
    for (key, value) in [
        ("receive.denyNonFastForwards", "true"),
        ("receive.denyDeletes", "true"),
        ("http.receivepack", "true"),
    ] {
        let mut config = hermetic("git", home);
        config.current_dir(&path).args(["config", key, value]);
        expect_ok(&output_of(&mut config, None), "git config");
    }
    path
}

/// `sshd` serving the repositories under a folder to the user running the tests, who
/// logs in with a key made for the test.
pub struct Sshd {
    _server: Running,
    port: u16,
    user: String,
    /// `GIT_SSH_COMMAND` for clients: the test's key and known hosts, no user config.
    pub ssh_command: String,
}

impl Sshd {
    /// Starts sshd with its keys and config in `dir`.
    pub fn start(home: &Path, dir: &Path) -> Sshd {
        let sshd = required("/usr/sbin/sshd", "openssh-server");
        std::fs::create_dir_all(dir).unwrap();
        let keygen = |file: &str| {
            let mut cmd = hermetic("ssh-keygen", home);
            cmd.args(["-q", "-t", "ed25519", "-N", "", "-C", "test", "-f"])
                .arg(dir.join(file));
            expect_ok(&output_of(&mut cmd, None), "ssh-keygen");
        };
        keygen("host_key");
        keygen("user_key");
        std::fs::copy(dir.join("user_key.pub"), dir.join("authorized_keys")).unwrap();
        let user = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout)
            .unwrap()
            .trim()
            .to_string();
        // sshd started by root wants its privilege separation folder, which a
        // package's service would have made.
        if user == "root" {
            std::fs::create_dir_all("/run/sshd").unwrap();
        }
        let host_key = std::fs::read_to_string(dir.join("host_key.pub")).unwrap();
        for _ in 0..5 {
            let port = free_port();
            let config = dir.join("sshd_config");
            std::fs::write(
                &config,
                format!(
                    "ListenAddress 127.0.0.1:{port}\nHostKey {dir}/host_key\n\
                     PidFile {dir}/sshd.pid\nAuthorizedKeysFile {dir}/authorized_keys\n\
                     StrictModes no\nUsePAM no\nPasswordAuthentication no\n\
                     KbdInteractiveAuthentication no\nPubkeyAuthentication yes\n\
                     PermitRootLogin prohibit-password\nAllowUsers {user}\n\
                     MaxStartups 100:30:200\nMaxSessions 100\nLogLevel ERROR\n",
                    dir = dir.display()
                ),
            )
            .unwrap();
            std::fs::write(
                dir.join("known_hosts"),
                format!("[127.0.0.1]:{port} {host_key}"),
            )
            .unwrap();
            let mut command = Command::new(&sshd);
            command.args(["-D", "-e", "-f"]).arg(&config);
            if let Some(child) = start(command, port, &dir.join("sshd.log")) {
                let ssh_command = format!(
                    "ssh -F /dev/null -i {dir}/user_key -o IdentitiesOnly=yes \
                     -o UserKnownHostsFile={dir}/known_hosts -o StrictHostKeyChecking=yes \
                     -o BatchMode=yes -o ConnectTimeout=10",
                    dir = dir.display()
                );
                return Sshd {
                    _server: Running(child),
                    port,
                    user,
                    ssh_command,
                };
            }
        }
        panic!(
            "sshd did not start: {}",
            std::fs::read_to_string(dir.join("sshd.log")).unwrap_or_default()
        );
    }

    /// The ssh URL of the repository at `path`.
    pub fn url(&self, path: &Path) -> String {
        format!(
            "ssh://{}@127.0.0.1:{}{}",
            self.user,
            self.port,
            path.display()
        )
    }
}

/// lighttpd running `git http-backend` for the repositories under a folder, at
/// `/git/<name>`, behind basic authentication ([`HTTP_USER`], [`HTTP_PASSWORD`]).
pub struct HttpServer {
    _server: Running,
    port: u16,
}

impl HttpServer {
    /// Starts lighttpd with its config in `dir`, serving the repositories in `root`.
    pub fn start(dir: &Path, root: &Path) -> HttpServer {
        let lighttpd = required("/usr/sbin/lighttpd", "lighttpd");
        let exec_path = String::from_utf8(
            Command::new("git")
                .arg("--exec-path")
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap();
        let backend = Path::new(exec_path.trim()).join("git-http-backend");
        std::fs::create_dir_all(dir.join("www")).unwrap();
        std::fs::write(dir.join("users"), format!("{HTTP_USER}:{HTTP_PASSWORD}\n")).unwrap();
        for _ in 0..5 {
            let port = free_port();
            let config = dir.join("lighttpd.conf");
            std::fs::write(
                &config,
                format!(
                    r#"server.modules = ("mod_alias", "mod_setenv", "mod_auth", "mod_authn_file", "mod_cgi")
server.document-root = "{dir}/www"
server.bind = "127.0.0.1"
server.port = {port}
server.errorlog = "{dir}/error.log"
server.max-connections = 256
alias.url = ("/git/" => "{backend}/")
$HTTP["url"] =~ "^/git/" {{
    cgi.assign = ("" => "")
    setenv.add-environment = ("GIT_PROJECT_ROOT" => "{root}", "GIT_HTTP_EXPORT_ALL" => "1", "PATH" => "{path}")
    auth.backend = "plain"
    auth.backend.plain.userfile = "{dir}/users"
    auth.require = ("" => ("method" => "basic", "realm" => "git", "require" => "valid-user"))
}}
"#,
                    dir = dir.display(),
                    root = root.display(),
                    backend = backend.display(),
                    path = std::env::var("PATH").unwrap_or_default(),
                ),
            )
            .unwrap();
            let mut command = Command::new(&lighttpd);
            command.args(["-D", "-f"]).arg(&config);
            if let Some(child) = start(command, port, &dir.join("lighttpd.log")) {
                return HttpServer {
                    _server: Running(child),
                    port,
                };
            }
        }
        panic!(
            "lighttpd did not start: {}{}",
            std::fs::read_to_string(dir.join("lighttpd.log")).unwrap_or_default(),
            std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
        );
    }

    /// The URL of repository `name`, without credentials (those come from the
    /// credential helper).
    pub fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/git/{name}", self.port)
    }
}

/// Makes `home`'s git use `credential.helper=store` with a file holding `password`
/// for the server at `url`: credentials never appear on a command line.
pub fn store_credentials(home: &Path, url: &str, password: &str) {
    let file = home.join("git-credentials");
    let rest = url.strip_prefix("http://").unwrap();
    let host = rest.split('/').next().unwrap();
    let encoded: String = password
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    std::fs::write(&file, format!("http://{HTTP_USER}:{encoded}@{host}\n")).unwrap();
    let mut cmd = hermetic("git", home);
    cmd.args(["config", "--global", "credential.helper"])
        .arg(format!("store --file={}", file.display()));
    expect_ok(&output_of(&mut cmd, None), "git config credential.helper");
}
