//! What the SSH tests share: the test sshd's coordinates and a sandboxed SSH environment.

use std::path::{Path, PathBuf};
use std::process::Command;

use capstan::ssh::{ConnectOptions, Destination, NewHostKey, Session, SshEnv, SshError};

/// The test sshd started by `scripts/services/start-sshd.sh`.
pub struct TestSshd {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub sudo_password_user: String,
    pub key: PathBuf,
    pub rsa_key: PathBuf,
    pub host_key_pub: PathBuf,
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run scripts/test, which starts the test sshd on 127.0.0.1:2222")
    })
}

pub fn sshd() -> TestSshd {
    TestSshd {
        host: var("CAPSTAN_TEST_SSH_HOST"),
        port: var("CAPSTAN_TEST_SSH_PORT")
            .parse()
            .expect("CAPSTAN_TEST_SSH_PORT is a port"),
        user: var("CAPSTAN_TEST_SSH_USER"),
        sudo_password_user: var("CAPSTAN_TEST_SSH_SUDO_PASSWORD_USER"),
        key: var("CAPSTAN_TEST_SSH_KEY").into(),
        rsa_key: var("CAPSTAN_TEST_SSH_RSA_KEY").into(),
        host_key_pub: var("CAPSTAN_TEST_SSH_HOST_KEY_PUB").into(),
    }
}

/// A temporary HOME with an empty `~/.ssh`, and Capstan's known-hosts file beside it.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub env: SshEnv,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let home = dir.path().join("home");
        std::fs::create_dir_all(home.join(".ssh")).expect("a temporary ~/.ssh");
        let capstan = dir
            .path()
            .join("config")
            .join("capstan")
            .join("known_hosts");
        let env = SshEnv::with_home(home, capstan, None, Some("nobody".into()));
        Sandbox { dir, env }
    }

    /// Records the test sshd's real host key in Capstan's known-hosts file.
    pub fn trust(&self, sshd: &TestSshd) {
        let key = std::fs::read_to_string(&sshd.host_key_pub).expect("the host key is readable");
        let line = format!("[{}]:{} {}", sshd.host, sshd.port, key.trim());
        let path = &self.env.capstan_known_hosts;
        std::fs::create_dir_all(path.parent().expect("the file has a dir")).expect("config dir");
        std::fs::write(path, line + "\n").expect("known-hosts file is writable");
    }

    pub fn home(&self) -> &Path {
        &self.env.home
    }
}

/// The test sshd as `user`, logging in with `key`.
pub fn destination(sshd: &TestSshd, user: &str, key: &Path) -> Destination {
    Destination {
        name: "testhost".into(),
        host_name: sshd.host.clone(),
        port: sshd.port,
        user: user.into(),
        identity_files: vec![key.to_path_buf()],
    }
}

/// Connects to the test sshd as its sudo user, the host key already trusted.
pub async fn connect(sshd: &TestSshd) -> Session {
    let sandbox = Sandbox::new();
    sandbox.trust(sshd);
    let dest = destination(sshd, &sshd.user, &sshd.key);
    Session::connect(&dest, &sandbox.env, &ConnectOptions::default())
        .await
        .expect("connecting to the test sshd with a trusted key works")
}

/// Connects with `policy` for new host keys.
pub async fn connect_with(
    sandbox: &Sandbox,
    sshd: &TestSshd,
    policy: NewHostKey,
) -> Result<Session, SshError> {
    let dest = destination(sshd, &sshd.user, &sshd.key);
    let options = ConnectOptions {
        new_host_key: policy,
        ..ConnectOptions::default()
    };
    Session::connect(&dest, &sandbox.env, &options).await
}

/// The SHA256 fingerprint `ssh-keygen -lf` prints for a public key file.
pub fn ssh_keygen_fingerprint(public_key: &Path) -> String {
    let output = Command::new("ssh-keygen")
        .arg("-lf")
        .arg(public_key)
        .output()
        .expect("ssh-keygen runs");
    assert!(output.status.success(), "ssh-keygen -lf failed: {output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    text.split_whitespace()
        .nth(1)
        .expect("ssh-keygen -l prints bits, fingerprint, comment")
        .to_string()
}

/// A fresh ed25519 key pair in `dir`, with an optional passphrase; returns the private key path.
pub fn new_key(dir: &Path, name: &str, passphrase: &str) -> PathBuf {
    let path = dir.join(name);
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-C", name, "-N", passphrase, "-f"])
        .arg(&path)
        .status()
        .expect("ssh-keygen runs");
    assert!(
        status.success(),
        "ssh-keygen could not make {}",
        path.display()
    );
    path
}
