//! The real `capstan serve` binary: graceful drain on SIGTERM, clear start-up errors.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::Notify;

const BIN: &str = env!("CARGO_BIN_EXE_capstan");

/// Starts `capstan serve ARGS --listen 127.0.0.1:0 --log-format json` and returns it with the
/// address from its "listening" log line.
async fn start(args: &[&str]) -> (Child, String) {
    let mut child = Command::new(BIN)
        .arg("serve")
        .args(args)
        .args(["--listen", "127.0.0.1:0", "--log-format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("the capstan binary starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut lines = BufReader::new(stdout).lines();

    let address = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(Some(line)) = lines.next_line().await {
            let Ok(event) = serde_json::from_str::<serde_json::Value>(&line) else {
                continue;
            };
            if event["message"] == "listening" {
                return event["address"].as_str().map(str::to_owned);
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
    .expect("capstan serve logs a listening line with its address");

    // Keep draining stdout so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, address)
}

#[tokio::test]
async fn sigterm_finishes_the_in_flight_request_then_exits_0() {
    let upstream = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let upstream_address = upstream.local_addr().expect("address");
    let arrived = Arc::new(Notify::new());
    let signal = arrived.clone();
    let slow = Router::new().route(
        "/api/slow",
        get(move || async move {
            signal.notify_one();
            tokio::time::sleep(Duration::from_millis(1500)).await;
            "slow answer"
        }),
    );
    tokio::spawn(async move { axum::serve(upstream, slow).await });

    let url = format!("http://{upstream_address}");
    let (mut child, address) = start(&["--proxy-api", &url]).await;
    let request = tokio::spawn(async move {
        let response = reqwest::get(format!("http://{address}/api/slow")).await?;
        let status = response.status();
        Ok::<_, reqwest::Error>((status, response.text().await?))
    });

    // SIGTERM only once the request is in flight (it reached the upstream through capstan).
    tokio::time::timeout(Duration::from_secs(10), arrived.notified())
        .await
        .expect("the request reaches the upstream");
    let pid = child.id().expect("the child is running").to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .expect("kill runs");
    assert!(killed.success());

    let (status, body) = request
        .await
        .expect("task joins")
        .expect("request completes");
    assert_eq!((status.as_u16(), body.as_str()), (200, "slow answer"));
    let exit = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("capstan exits after draining")
        .expect("exit status");
    assert_eq!(exit.code(), Some(0));
}

#[tokio::test]
async fn api_role_without_a_password_file_fails_with_a_clear_message() {
    let output = Command::new(BIN)
        .args(["serve", "--api", "--listen", "127.0.0.1:0"])
        .env_remove("CAPSTAN_DB_PASSWORD_FILE")
        .output()
        .await
        .expect("the capstan binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--db-password-file"), "{stderr}");
}

#[tokio::test]
async fn no_role_at_all_is_refused() {
    let output = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("CAPSTAN_API")
        .env_remove("CAPSTAN_STATIC_DIR")
        .env_remove("CAPSTAN_PROXY_API")
        .output()
        .await
        .expect("the capstan binary runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no role chosen"));
}

#[tokio::test]
async fn sigterm_while_waiting_for_the_database_exits_0_and_never_logs_the_password() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let password_file = dir.path().join("db-password");
    std::fs::write(&password_file, "pw-that-must-not-show\n").expect("write password");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("address").port().to_string();
    drop(closed);

    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--api",
            "--listen",
            "127.0.0.1:0",
            "--log-format",
            "json",
        ])
        .args([
            "--db-host",
            "127.0.0.1",
            "--db-port",
            &port,
            "--db-wait",
            "60",
        ])
        .arg("--db-password-file")
        .arg(&password_file)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the capstan binary starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut lines = BufReader::new(stdout).lines();

    let mut log = String::new();
    let retried = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(Some(line)) = lines.next_line().await {
            log.push_str(&line);
            log.push('\n');
            if line.contains("database not reachable yet") {
                return true;
            }
        }
        false
    })
    .await
    .unwrap_or(false);
    assert!(retried, "a retry is logged:\n{log}");
    assert!(
        log.contains(&format!("127.0.0.1:{port}")),
        "the retry names the target:\n{log}"
    );

    let pid = child.id().expect("the child is running").to_string();
    Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .expect("kill runs");
    let exit = tokio::time::timeout(Duration::from_secs(5), child.wait())
        .await
        .expect("capstan stops without waiting out its database wait")
        .expect("exit status");
    assert_eq!(exit.code(), Some(0));

    while let Ok(Some(line)) = lines.next_line().await {
        log.push_str(&line);
        log.push('\n');
    }
    assert!(!log.contains("pw-that-must-not-show"), "{log}");
}
