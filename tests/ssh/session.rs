//! Authentication and commands against the real test sshd.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use capstan::ssh::{ConnectOptions, PassphrasePrompt, Session, SshError};

use crate::support::{Sandbox, connect, destination, new_key, sshd};

#[tokio::test]
async fn exec_returns_exit_status_and_both_outputs_and_feeds_stdin() {
    let session = connect(&sshd()).await;

    let output = session
        .exec("cat; echo to-stderr >&2; exit 3", Some(b"hello\nworld\n"))
        .await
        .unwrap();

    assert_eq!(output.status, 3);
    assert_eq!(output.stdout, b"hello\nworld\n");
    assert_eq!(output.stderr, b"to-stderr\n");
}

#[tokio::test]
async fn a_command_without_stdin_sees_end_of_file_instead_of_hanging() {
    let session = connect(&sshd()).await;

    let output = session.exec("cat; echo done", None).await.unwrap();

    assert_eq!(output.stdout_text(), "done\n");
}

#[tokio::test]
async fn exec_as_root_runs_through_sudo_with_quoting_and_stdin_intact() {
    let session = connect(&sshd()).await;
    assert!(!session.is_root());

    let id = session.exec_as_root("id -u", None).await.unwrap();
    let quoted = session
        .exec_as_root("printf '%s|' \"it's\" '$HOME'; cat", Some(b"in"))
        .await
        .unwrap();

    assert_eq!(id.stdout_text(), "0\n");
    assert_eq!(quoted.stdout_text(), "it's|$HOME|in");
    assert!(quoted.success());
}

#[tokio::test]
async fn sudo_that_wants_a_password_is_reported_as_such_without_waiting() {
    let sshd = sshd();
    let sandbox = Sandbox::new();
    sandbox.trust(&sshd);
    let dest = destination(&sshd, &sshd.sudo_password_user, &sshd.key);
    let session = Session::connect(&dest, &sandbox.env, &ConnectOptions::default())
        .await
        .unwrap();

    let started = Instant::now();
    let err = session.exec_as_root("true", None).await.unwrap_err();

    assert!(
        matches!(&err, SshError::SudoNeedsPassword { user, .. } if *user == sshd.sudo_password_user),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn one_connection_serves_many_commands_in_turn_and_at_once() {
    let session = connect(&sshd()).await;

    let mut seen = Vec::new();
    for _ in 0..10 {
        seen.push(
            session
                .exec("echo $SSH_CONNECTION", None)
                .await
                .unwrap()
                .stdout_text(),
        );
    }
    let together =
        futures::future::join_all((0..5).map(|_| session.exec("echo $SSH_CONNECTION", None)));
    for output in together.await {
        seen.push(output.unwrap().stdout_text());
    }

    assert!(seen[0].starts_with("127.0.0.1 "), "{}", seen[0]);
    assert!(
        seen.iter().all(|line| *line == seen[0]),
        "one client port for all: {seen:?}"
    );
}

#[tokio::test]
async fn a_command_past_its_timeout_fails_and_the_session_stays_usable() {
    let mut session = connect(&sshd()).await;
    session.set_command_timeout(Duration::from_millis(500));

    let started = Instant::now();
    let err = session.exec("sleep 5", None).await.unwrap_err();

    assert!(
        matches!(
            err,
            SshError::Timeout {
                what: "a command",
                ..
            }
        ),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    session.set_command_timeout(Duration::from_secs(10));
    assert_eq!(
        session
            .exec("echo still", None)
            .await
            .unwrap()
            .stdout_text(),
        "still\n"
    );
}

#[tokio::test]
async fn an_rsa_key_logs_in_with_sha2_signatures() {
    let sshd = sshd();
    let sandbox = Sandbox::new();
    sandbox.trust(&sshd);
    let dest = destination(&sshd, &sshd.user, &sshd.rsa_key);

    let session = Session::connect(&dest, &sandbox.env, &ConnectOptions::default()).await;

    assert!(session.is_ok(), "{:?}", session.err());
    // OpenSSH 8.8+ refuses ssh-rsa (SHA-1) signatures by default, so this login used rsa-sha2.
}

#[tokio::test]
async fn a_default_key_in_the_home_ssh_dir_is_tried_when_config_names_none() {
    let sshd = sshd();
    let sandbox = Sandbox::new();
    sandbox.trust(&sshd);
    std::fs::copy(&sshd.key, sandbox.home().join(".ssh/id_ed25519")).unwrap();
    let mut dest = destination(&sshd, &sshd.user, &sshd.key);
    dest.identity_files.clear();

    let session = Session::connect(&dest, &sandbox.env, &ConnectOptions::default()).await;

    assert!(session.is_ok(), "{:?}", session.err());
}

#[tokio::test]
async fn a_refused_login_lists_what_was_tried() {
    let sshd = sshd();
    let sandbox = Sandbox::new();
    sandbox.trust(&sshd);
    let stranger = new_key(sandbox.dir.path(), "stranger", "");
    let dest = destination(&sshd, &sshd.user, &stranger);

    let err = Session::connect(&dest, &sandbox.env, &ConnectOptions::default())
        .await
        .unwrap_err();

    let SshError::AuthFailed { tried, .. } = &err else {
        panic!("expected AuthFailed, got {err}");
    };
    assert!(tried.iter().any(|t| t.contains("stranger")), "{tried:?}");
}

/// Answers passphrase prompts with a fixed text, counting them.
struct FixedPassphrase {
    answer: &'static str,
    asked: AtomicU32,
}

impl PassphrasePrompt for FixedPassphrase {
    fn passphrase<'a>(
        &'a self,
        _key: &'a Path,
        _attempt: u32,
    ) -> Pin<Box<dyn Future<Output = Option<String>> + Send + 'a>> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move { Some(self.answer.to_string()) })
    }
}

/// A copy of the test client key, encrypted with `passphrase` (2 KDF rounds, not 16: the
/// debug build derives keys slowly).
fn encrypted_copy(sandbox: &Sandbox, key: &Path, passphrase: &str) -> std::path::PathBuf {
    let copy = sandbox.dir.path().join("encrypted_key");
    std::fs::copy(key, &copy).unwrap();
    let status = Command::new("ssh-keygen")
        .args(["-q", "-p", "-a", "2", "-P", "", "-N", passphrase, "-f"])
        .arg(&copy)
        .status()
        .unwrap();
    assert!(status.success(), "ssh-keygen -p encrypts the copy");
    copy
}

#[tokio::test]
async fn an_encrypted_key_asks_the_prompt_for_its_passphrase() {
    let sshd = sshd();
    let sandbox = Sandbox::new();
    sandbox.trust(&sshd);
    let key = encrypted_copy(&sandbox, &sshd.key, "correct horse");
    let dest = destination(&sshd, &sshd.user, &key);
    let right = Arc::new(FixedPassphrase {
        answer: "correct horse",
        asked: AtomicU32::new(0),
    });
    let wrong = Arc::new(FixedPassphrase {
        answer: "battery staple",
        asked: AtomicU32::new(0),
    });

    let with = |prompt: Arc<FixedPassphrase>| ConnectOptions {
        passphrase_prompt: Some(prompt),
        ..ConnectOptions::default()
    };
    let ok = Session::connect(&dest, &sandbox.env, &with(Arc::clone(&right))).await;
    let err = Session::connect(&dest, &sandbox.env, &with(Arc::clone(&wrong))).await;
    let no_prompt = Session::connect(&dest, &sandbox.env, &ConnectOptions::default()).await;

    assert!(ok.is_ok(), "{:?}", ok.err());
    assert_eq!(right.asked.load(Ordering::SeqCst), 1);
    let err = err.unwrap_err();
    assert!(err.to_string().contains("wrong passphrase"), "{err}");
    assert_eq!(wrong.asked.load(Ordering::SeqCst), 3);
    let no_prompt = no_prompt.unwrap_err();
    assert!(no_prompt.to_string().contains("encrypted"), "{no_prompt}");
}

#[tokio::test]
async fn keys_held_by_ssh_agent_are_used_first() {
    let sshd = sshd();
    let mut sandbox = Sandbox::new();
    sandbox.trust(&sshd);
    let socket = sandbox.dir.path().join("agent.sock");
    let mut agent = Command::new("ssh-agent")
        .arg("-D")
        .arg("-a")
        .arg(&socket)
        .stdout(Stdio::null())
        .spawn()
        .expect("ssh-agent starts");
    for _ in 0..50 {
        if socket.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let added = Command::new("ssh-add")
        .arg(&sshd.key)
        .env("SSH_AUTH_SOCK", &socket)
        .stderr(Stdio::null())
        .status();
    sandbox.env.agent_socket = Some(socket);
    let mut dest = destination(&sshd, &sshd.user, &sshd.key);
    dest.identity_files.clear();

    let session = Session::connect(&dest, &sandbox.env, &ConnectOptions::default()).await;

    let _ = agent.kill();
    let _ = agent.wait();
    assert!(
        added.unwrap().success(),
        "ssh-add loads the key into the agent"
    );
    assert!(session.is_ok(), "{:?}", session.err());
}

#[tokio::test]
async fn a_closed_port_is_a_connect_error_naming_the_host() {
    let sandbox = Sandbox::new();
    let mut dest = destination(&sshd(), "nobody", Path::new("/nonexistent"));
    dest.port = 1;

    let err = Session::connect(&dest, &sandbox.env, &ConnectOptions::default())
        .await
        .unwrap_err();

    assert!(matches!(err, SshError::Connect { port: 1, .. }), "{err}");
    assert!(err.to_string().contains("testhost"), "{err}");
}

#[tokio::test]
async fn a_command_killed_by_a_signal_is_an_error_naming_the_signal() {
    let session = connect(&sshd()).await;

    let err = session.exec("kill -KILL $$", None).await.unwrap_err();

    assert!(
        matches!(&err, SshError::NoExitStatus { signal: Some(s), .. } if s == "KILL"),
        "{err}"
    );
}

#[tokio::test]
async fn a_server_that_never_speaks_ssh_times_out_the_handshake() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let silent = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(10)).await;
        drop(socket);
    });
    let sandbox = Sandbox::new();
    let mut dest = destination(&sshd(), "nobody", Path::new("/nonexistent"));
    dest.port = port;
    let options = ConnectOptions {
        connect_timeout: Duration::from_millis(500),
        ..ConnectOptions::default()
    };

    let started = Instant::now();
    let err = Session::connect(&dest, &sandbox.env, &options)
        .await
        .unwrap_err();

    silent.abort();
    assert!(
        matches!(
            err,
            SshError::Timeout {
                what: "the ssh handshake",
                ..
            }
        ),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}
