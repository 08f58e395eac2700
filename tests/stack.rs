//! The stack on the real Docker engine, driven through the real `capstan` binary.
//!
//! Every test gets its own project name, host port and data directory (a temporary
//! `XDG_DATA_HOME`), so tests never clash with each other or with a user's stack. Each test
//! takes its stack down (with volumes) when it ends, even when it fails.

#[path = "stack/support.rs"]
mod stack_support;

#[path = "stack/follow.rs"]
mod follow;

#[path = "stack/events.rs"]
mod events;

#[path = "stack/interrupt.rs"]
mod interrupt;

#[path = "stack/logs.rs"]
mod logs;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use capstan::ops::{self, Context, Event, EventSender, Health};
use serde_json::{Value, json};
use stack_support::{TestStack, docker, engine};
use tokio::sync::mpsc::UnboundedReceiver;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn person_stack_comes_up_serves_crud_survives_redeploy_and_keeps_data_until_down_volumes() {
    let stack = TestStack::new("e2e", None);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let base = format!("http://127.0.0.1:{}", stack.port);

    // Up, timed; the binary reports each step.
    let started = Instant::now();
    let up = stack.capstan(&["up"]).await;
    let up_time = started.elapsed();
    assert!(up.ok, "up failed:\n{}", up.output);
    for step in [
        "build api",
        "start db",
        "start api",
        "start frontend",
        "all services ready",
    ] {
        assert!(
            up.output.contains(step),
            "`{step}` missing from:\n{}",
            up.output
        );
    }

    // Status as JSON: three services, running and healthy.
    let status = stack.capstan(&["status", "--json"]).await;
    assert!(status.ok, "status failed:\n{}", status.output);
    let status: Value = serde_json::from_str(&status.stdout).expect("status --json is JSON");
    let services = status["services"].as_array().expect("services is a list");
    let names: Vec<&str> = services.iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names, ["db", "api", "frontend"]);
    for service in services {
        assert_eq!(service["state"], "running", "{service}");
        assert_eq!(service["health"], "healthy", "{service}");
    }
    assert_eq!(services[2]["port"], stack.port);

    // Up again on the running stack keeps every container.
    let again = stack.capstan(&["up"]).await;
    assert!(again.ok, "second up failed:\n{}", again.output);
    assert_eq!(
        again.stdout.matches("kept capstan-").count(),
        3,
        "{}",
        again.output
    );

    // Logs of one service, the last few lines.
    let logs = stack.capstan(&["logs", "db", "--tail", "5"]).await;
    assert!(logs.ok, "logs failed:\n{}", logs.output);
    let lines = logs.stdout.lines().count() + logs.stderr.lines().count();
    assert!((1..=5).contains(&lines), "{}", logs.output);

    // The dashboard's watchers: snapshots, logs, readiness samples and stats arrive.
    let (events, mut received) = EventSender::channel();
    let ctx = Context::load_in(&stack.options(), stack.data_dir())
        .await
        .expect("the test stack loads");
    let watcher = ops::watch(&ctx, &events);
    let mut seen = Seen::default();
    seen.until(&mut received, Duration::from_secs(30), |s| s.complete())
        .await;
    assert!(
        seen.complete(),
        "watchers sent too little within 30s: {seen:?}"
    );

    // No container's environment holds a password; the secrets are 0600 files.
    let secrets = stack.secret_values();
    assert_eq!(secrets.len(), 2, "db_password and db_root_password");
    for container in engine()
        .await
        .stack_containers(&stack.project)
        .await
        .unwrap()
    {
        for entry in &container.env {
            for secret in &secrets {
                assert!(
                    !entry.contains(secret.as_str()),
                    "{} env leaks a secret",
                    container.name
                );
            }
            let key = entry.split('=').next().unwrap_or_default();
            assert!(
                !key.contains("PASSWORD") || key.ends_with("_FILE"),
                "{}",
                container.name
            );
        }
    }

    // Create, list, search, update, delete through the published port.
    let ada = create_person(&http, &base, "Ada", "Lovelace", "ada@example.org").await;
    let alan = create_person(&http, &base, "Alan", "Turing", "alan@example.org").await;
    let list: Value = get_json(&http, &format!("{base}/api/persons/")).await;
    assert_eq!(list["count"], 2);
    let found: Value = get_json(&http, &format!("{base}/api/persons/?search=lovelace")).await;
    assert_eq!(found["count"], 1);
    assert_eq!(found["results"][0]["email"], "ada@example.org");
    let patched = http
        .patch(format!("{base}/api/persons/{ada}/"))
        .json(&json!({ "phone": "+44 20 7946 0000" }))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    let deleted = http
        .delete(format!("{base}/api/persons/{alan}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);

    // Redeploy the api while a client keeps asking: no request may fail.
    let (client, stop, failures, successes) = client_loop(base.clone());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let old_api = stack.running_container("api").await;
    let redeploy = stack.capstan(&["redeploy", "api"]).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::SeqCst);
    let failed = client.await.unwrap();
    assert!(redeploy.ok, "redeploy failed:\n{}", redeploy.output);
    assert_ne!(
        stack.running_container("api").await,
        old_api,
        "a new api container serves"
    );
    assert_eq!(
        failures.load(Ordering::SeqCst),
        0,
        "failed requests during redeploy: {failed:?}"
    );
    assert!(
        successes.load(Ordering::SeqCst) > 20,
        "the client loop ran during the redeploy"
    );
    assert_person(&http, &base, &ada, "+44 20 7946 0000").await;

    // The api's log stream moved to the new container: its start-up lines arrive.
    seen.api_started = false;
    seen.until(&mut received, Duration::from_secs(20), |s| s.api_started)
        .await;
    assert!(
        seen.api_started,
        "no start-up line of the new api container in the log stream"
    );
    drop(watcher);

    // Measure what the report asks for: the app's memory.
    let memory = stack.memory_of("api").await;
    eprintln!(
        "measured: up (cold or warm build cache) {:.1}s; api memory {:.1} MiB",
        up_time.as_secs_f64(),
        memory as f64 / 1_048_576.0
    );

    // Down keeps the data volume; up again finds the data.
    let down = stack.capstan(&["down"]).await;
    assert!(down.ok, "down failed:\n{}", down.output);
    assert!(stack.running_container("api").await.is_none());
    assert!(engine().await.volume_exists(&stack.volume()).await.unwrap());
    let up_again = stack.capstan(&["up"]).await;
    assert!(up_again.ok, "second up failed:\n{}", up_again.output);
    assert_person(&http, &base, &ada, "+44 20 7946 0000").await;

    // Down with volumes removes the data too.
    let down = stack.capstan(&["down", "--volumes"]).await;
    assert!(down.ok, "down --volumes failed:\n{}", down.output);
    assert!(
        !engine().await.volume_exists(&stack.volume()).await.unwrap(),
        "volume is gone"
    );
    assert!(stack.has_no_containers().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_fails_naming_the_service_that_never_gets_ready_with_its_last_log_lines() {
    let file = r#"
        name = "unused"
        [services.stuck]
        image = "debian:bookworm-slim"
        command = [
            "sh", "-c", "echo booting the stuck service; echo no listener here >&2; sleep 600",
        ]
        stop_grace_secs = 1
        ready = { http = { port = 8000, paths = ["/"] }, timeout_secs = 3 }
    "#;
    let stack = TestStack::new("stuck", Some(file));

    let up = stack.capstan(&["up"]).await;

    assert!(!up.ok, "up must fail:\n{}", up.output);
    assert!(
        up.stderr
            .contains("service `stuck` did not become ready within 3s"),
        "{}",
        up.stderr
    );
    assert!(up.stderr.contains("checked GET http://"), "{}", up.stderr);
    assert!(up.stderr.contains("last error: GET"), "{}", up.stderr);
    assert!(
        up.stderr.contains("booting the stuck service"),
        "{}",
        up.stderr
    );
    assert!(up.stderr.contains("no listener here"), "{}", up.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_network_or_volume_of_the_stacks_name_made_by_someone_else_is_refused_and_kept() {
    let file = r#"
        name = "unused"
        [services.keeper]
        image = "debian:bookworm-slim"
        volumes = { data = "/data" }
        ready = { http = { port = 8000, paths = ["/"] }, timeout_secs = 3 }
    "#;
    let stack = TestStack::new("foreign", Some(file));
    let network = format!("capstan-{}", stack.project);
    let volume = format!("capstan-{}-data", stack.project);
    let _cleanup = Foreign {
        network: network.clone(),
        volume: volume.clone(),
    };

    // Someone else's network of that name: up refuses it before making anything.
    docker(&["network", "create", &network]);
    let up = stack.capstan(&["up"]).await;
    assert!(!up.ok, "up must fail:\n{}", up.output);
    let refusal = format!("refusing to touch network {network}");
    assert!(up.stderr.contains(&refusal), "{}", up.stderr);
    docker(&["network", "rm", &network]);

    // Someone else's volume: up refuses it, and `down --volumes` leaves it with its data.
    docker(&["volume", "create", &volume]);
    let up = stack.capstan(&["up"]).await;
    assert!(!up.ok, "up must fail:\n{}", up.output);
    let refusal = format!("refusing to touch volume {volume}");
    assert!(up.stderr.contains(&refusal), "{}", up.stderr);
    let down = stack.capstan(&["down", "--volumes"]).await;
    assert!(!down.ok, "down --volumes must refuse:\n{}", down.output);
    assert!(down.stderr.contains(&refusal), "{}", down.stderr);
    docker(&["volume", "inspect", &volume]);
}

/// Removes what a test made by hand with `docker`, whatever its outcome.
struct Foreign {
    network: String,
    volume: String,
}

impl Drop for Foreign {
    fn drop(&mut self) {
        for args in [
            ["network", "rm", &self.network],
            ["volume", "rm", &self.volume],
        ] {
            let _ = std::process::Command::new("docker")
                .args(args)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_json_a_failure_is_a_json_error_on_stdout() {
    let stack = TestStack::new("json-error", None);

    let logs = stack.capstan(&["--json", "logs", "nosuch"]).await;

    assert!(!logs.ok, "{}", logs.output);
    let error: Value = serde_json::from_str(logs.stdout.trim()).unwrap_or_else(|err| {
        panic!("stdout is not JSON ({err}): {}", logs.stdout);
    });
    let message = error["error"].as_str().unwrap_or_default();
    assert!(message.contains("nosuch"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_with_an_image_that_is_missing_and_cannot_be_pulled_names_it() {
    let image = format!("capstan-test-missing-{}:1", std::process::id());
    let file = format!(
        r#"
        name = "unused"
        [services.lost]
        image = "{image}"
        ready = {{ http = {{ port = 8000, paths = ["/"] }}, timeout_secs = 3 }}
        "#
    );
    let stack = TestStack::new("missing", Some(&file));

    let up = stack.capstan(&["up"]).await;

    assert!(!up.ok, "up must fail:\n{}", up.output);
    assert!(
        up.stderr.contains(&format!("images {image} are missing")),
        "{}",
        up.stderr
    );
    assert!(up.stderr.contains("cannot be pulled"), "{}", up.stderr);
    assert!(stack.has_no_containers().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redeploy_keeps_old_container_when_new_never_ready() {
    let healthy = r#"
        name = "unused"
        [services.web]
        build = "api"
        command = [
            "capstan", "serve", "--proxy-api", "http://127.0.0.1:9", "--listen", "0.0.0.0:8000",
        ]
        stop_grace_secs = 2
        ready = { http = { port = 8000, paths = ["/healthz"] }, timeout_secs = 30 }
    "#;
    let broken = healthy
        .replace(
            r#""capstan", "serve", "--proxy-api""#,
            r#""sh", "-c", "sleep 600", "--proxy-api""#,
        )
        .replace("timeout_secs = 30", "timeout_secs = 3");
    let stack = TestStack::new("keep", Some(healthy));
    let up = stack.capstan(&["up"]).await;
    assert!(up.ok, "up failed:\n{}", up.output);
    let old = stack
        .running_container("web")
        .await
        .expect("web runs after up");

    let broken_file = stack.write_stack_file("broken.toml", &broken);
    let redeploy = stack
        .capstan_with_file(&broken_file, &["redeploy", "web"])
        .await;

    assert!(!redeploy.ok, "redeploy must fail:\n{}", redeploy.output);
    assert!(redeploy.stderr.contains("kept"), "{}", redeploy.stderr);
    assert!(
        redeploy.stderr.contains("did not become ready within 3s"),
        "{}",
        redeploy.stderr
    );
    let containers = engine()
        .await
        .stack_containers(&stack.project)
        .await
        .unwrap();
    assert_eq!(
        containers.len(),
        1,
        "the new container is removed: {containers:?}"
    );
    assert_eq!(containers[0].id, old, "the old container is the one left");
    assert!(containers[0].running);
    let status = stack.capstan(&["status", "--json"]).await;
    let status: Value = serde_json::from_str(&status.stdout).expect("status --json is JSON");
    assert_eq!(status["services"][0]["health"], "healthy", "{status}");
}

async fn create_person(
    http: &reqwest::Client,
    base: &str,
    first: &str,
    last: &str,
    email: &str,
) -> String {
    let response = http
        .post(format!("{base}/api/persons/"))
        .json(&json!({ "first_name": first, "last_name": last, "email": email }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "create {first}");
    let body: Value = response.json().await.unwrap();
    body["id"].to_string()
}

async fn get_json(http: &reqwest::Client, url: &str) -> Value {
    let response = http.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200, "GET {url}");
    response.json().await.unwrap()
}

async fn assert_person(http: &reqwest::Client, base: &str, id: &str, phone: &str) {
    let person = get_json(http, &format!("{base}/api/persons/{id}/")).await;
    assert_eq!(person["first_name"], "Ada");
    assert_eq!(person["phone"], phone);
}

/// Sends requests one after another (the list and readiness, through the published port)
/// until `stop`; returns the failures it saw.
fn client_loop(
    base: String,
) -> (
    tokio::task::JoinHandle<Vec<String>>,
    Arc<AtomicBool>,
    Arc<AtomicU64>,
    Arc<AtomicU64>,
) {
    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(AtomicU64::new(0));
    let successes = Arc::new(AtomicU64::new(0));
    let (s, f, ok) = (stop.clone(), failures.clone(), successes.clone());
    let task = tokio::spawn(async move {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let mut seen = Vec::new();
        let urls = [format!("{base}/api/persons/"), format!("{base}/api/ready")];
        let mut n = 0usize;
        while !s.load(Ordering::SeqCst) {
            let url = &urls[n % urls.len()];
            n += 1;
            match http.get(url).send().await {
                Ok(response) if response.status().is_success() => {
                    ok.fetch_add(1, Ordering::SeqCst);
                }
                Ok(response) => {
                    f.fetch_add(1, Ordering::SeqCst);
                    seen.push(format!("GET {url}: {}", response.status()));
                }
                Err(err) => {
                    f.fetch_add(1, Ordering::SeqCst);
                    seen.push(format!("GET {url}: {err}"));
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        seen
    });
    (task, stop, failures, successes)
}

/// What the watchers have sent so far.
#[derive(Debug, Default)]
struct Seen {
    all_healthy: bool,
    db_logs: bool,
    api_logs: bool,
    /// An api line saying the database is reachable: a container starting.
    api_started: bool,
    ready_ok: bool,
    api_stats: bool,
    /// A request rate read from the app's `/metrics` through the published port.
    traffic: bool,
}

impl Seen {
    fn complete(&self) -> bool {
        self.all_healthy
            && self.db_logs
            && self.api_logs
            && self.ready_ok
            && self.api_stats
            && self.traffic
    }

    /// Takes in events until `done` or `limit` passes.
    async fn until(
        &mut self,
        events: &mut UnboundedReceiver<Event>,
        limit: Duration,
        done: impl Fn(&Seen) -> bool,
    ) {
        let deadline = tokio::time::Instant::now() + limit;
        while !done(self) {
            let Ok(Some(event)) = tokio::time::timeout_at(deadline, events.recv()).await else {
                return;
            };
            match event {
                Event::Services(views) => {
                    self.all_healthy =
                        views.len() == 3 && views.iter().all(|v| v.health == Health::Healthy);
                }
                Event::Logs(lines) => {
                    for line in lines {
                        self.db_logs |= line.service == "db";
                        if line.service == "api" {
                            self.api_logs = true;
                            let text = String::from_utf8_lossy(&line.bytes);
                            self.api_started |= text.contains("database reachable");
                        }
                    }
                }
                Event::Traffic(_) => self.traffic = true,
                Event::Ready(sample) => self.ready_ok |= sample.error.is_none(),
                Event::Stats(sample) => self.api_stats |= sample.service == "api",
                _ => {}
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_returns_a_service_to_its_last_good_image() {
    // Two images that both run `capstan serve`: the api and the frontend builds.
    let first = r#"
        name = "unused"
        [services.web]
        build = "api"
        command = [
            "capstan", "serve", "--proxy-api", "http://127.0.0.1:9", "--listen", "0.0.0.0:8000",
        ]
        stop_grace_secs = 2
        ready = { http = { port = 8000, paths = ["/healthz"] }, timeout_secs = 30 }
    "#;
    let second = first.replace(r#"build = "api""#, r#"build = "frontend""#);
    let stack = TestStack::new("rollback", Some(first));
    let up = stack.capstan(&["up"]).await;
    assert!(up.ok, "up failed:\n{}", up.output);
    let image_of = |stack: &TestStack| {
        let project = stack.project.clone();
        async move {
            let containers = engine().await.stack_containers(&project).await.unwrap();
            let running: Vec<_> = containers.into_iter().filter(|c| c.running).collect();
            assert_eq!(running.len(), 1, "one web container runs: {running:?}");
            running[0].image_id.clone()
        }
    };
    let first_image = image_of(&stack).await;

    let second_file = stack.write_stack_file("second.toml", &second);
    let redeploy = stack
        .capstan_with_file(&second_file, &["redeploy", "web"])
        .await;
    assert!(redeploy.ok, "redeploy failed:\n{}", redeploy.output);
    assert_ne!(image_of(&stack).await, first_image);

    let rollback = stack
        .capstan_with_file(&second_file, &["rollback", "web"])
        .await;

    assert!(rollback.ok, "rollback failed:\n{}", rollback.output);
    assert_eq!(image_of(&stack).await, first_image);
}
