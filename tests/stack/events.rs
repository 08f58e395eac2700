//! A service's container stopping and starting on the real engine: the dashboard's watchers
//! see it through the engine's event stream (the health sweep only probes the last list, so a
//! snapshot with the new state can only come from an event), and `capstan stop` stops a service
//! that `capstan up` then starts again.

use std::time::Duration;

use capstan::ops::{self, Context, Event, EventSender, ServiceView};
use tokio::sync::mpsc::UnboundedReceiver;

use super::follow::talker;
use super::stack_support::{TestStack, docker, free_port};

/// Waits for a snapshot in which `service` shows `state`; fails naming the last one seen.
async fn state_reaches(events: &mut UnboundedReceiver<Event>, service: &str, state: &str) {
    let mut last: Option<ServiceView> = None;
    let wait = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(event) = events.recv().await {
            let Event::Services(views) = event else {
                continue;
            };
            last = views.into_iter().find(|view| view.name == service);
            if last.as_ref().is_some_and(|view| view.state == state) {
                return true;
            }
        }
        false
    });
    let reached = wait.await.unwrap_or(false);
    assert!(
        reached,
        "{service} never showed `{state}`; last snapshot: {last:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_and_started_container_changes_the_snapshot_through_engine_events() {
    let file = format!("name = \"unused\"\n{}", talker("talker"));
    let stack = TestStack::new("events", Some(&file));
    let up = stack.capstan(&["up"]).await;
    assert!(up.ok, "up failed:\n{}", up.output);
    let container = stack
        .running_container("talker")
        .await
        .expect("talker runs");
    let ctx = Context::load_in(&stack.options(), stack.data_dir())
        .await
        .expect("the test stack loads");
    let (events, mut received) = EventSender::channel();
    let _watcher = ops::watch(&ctx, &events);
    state_reaches(&mut received, "talker", "running").await;

    docker(&["stop", "--time", "1", &container]);
    state_reaches(&mut received, "talker", "exited").await;
    docker(&["start", &container]);
    state_reaches(&mut received, "talker", "running").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_stops_the_service_and_up_starts_it_again() {
    let file = format!("name = \"unused\"\n{}", talker("talker"));
    let stack = TestStack::new("stop", Some(&file));
    let up = stack.capstan(&["up"]).await;
    assert!(up.ok, "up failed:\n{}", up.output);

    let stop = stack.capstan(&["stop", "talker"]).await;
    assert!(stop.ok, "stop failed:\n{}", stop.output);
    assert_eq!(stack.running_container("talker").await, None);
    let again = stack.capstan(&["stop", "talker"]).await;
    assert!(again.ok, "a second stop failed:\n{}", again.output);
    assert!(again.output.contains("not running"), "{}", again.output);
    let read_only = stack.capstan(&["--read-only", "stop", "talker"]).await;
    assert!(!read_only.ok, "{}", read_only.output);

    let up = stack.capstan(&["up"]).await;
    assert!(up.ok, "up failed:\n{}", up.output);
    assert!(stack.running_container("talker").await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_probes_the_port_the_container_publishes_whatever_port_it_is_given() {
    // Regression: `status` without the `--port` the stack was brought up with probed the
    // stack file's port and called a healthy service unhealthy.
    let [file_port, up_port] = [free_port(), free_port()];
    let published = format!("publish = {{ container = 8000, host = {file_port} }}\n");
    let service =
        talker("talker").replace("stop_grace_secs = 1", &(published + "stop_grace_secs = 1"));
    let file = format!("name = \"unused\"\n{service}");
    let stack = TestStack::new("published", Some(&file));
    let up = stack.capstan(&["--port", &up_port.to_string(), "up"]).await;
    assert!(up.ok, "up failed:\n{}", up.output);

    let status = stack.capstan(&["status", "--json"]).await;

    assert!(status.ok, "{}", status.output);
    assert!(status.stdout.contains("\"healthy\""), "{}", status.stdout);
    assert!(
        status.stdout.contains(&up_port.to_string()),
        "{}",
        status.stdout
    );
}
