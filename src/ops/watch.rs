//! Watchers the dashboard spawns: service snapshots driven by the engine's event stream,
//! per-service log streams, the readiness sampler, and per-service stats streams.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures::StreamExt;
use tokio::sync::watch as signal;
use tokio::task::JoinHandle;

use super::{Event, EventSender, Health, ReadySample, ServiceView, StatsSample};
use crate::engine::ContainerInfo;
use crate::probe::{HttpProbe, http_client};
use crate::stack::Stack;

/// How many lines a log stream starts with for a container it has not seen before.
const FIRST_TAIL: u64 = 200;
/// How often service health is probed again without any engine event (the containers are not
/// listed again: only engine events do that).
const HEALTH_SWEEP: Duration = Duration::from_secs(5);

/// The running watchers; dropping it stops them all.
#[derive(Debug)]
pub struct Watcher {
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Watcher {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Spawns every watcher of the stack; each sends its events on `events` until dropped.
pub fn watch(ctx: &super::Context, events: &EventSender) -> Watcher {
    let stack = ctx.stack.clone();
    let (changed_tx, changed_rx) = signal::channel(0u64);
    let mut tasks = vec![tokio::spawn(services(
        stack.clone(),
        events.clone(),
        changed_tx,
    ))];
    for service in &stack.order {
        tasks.push(tokio::spawn(logs(
            stack.clone(),
            service.clone(),
            events.clone(),
        )));
        tasks.push(tokio::spawn(stats(
            stack.clone(),
            service.clone(),
            events.clone(),
            changed_rx.clone(),
        )));
    }
    tasks.push(tokio::spawn(super::traffic::sampler(
        stack.clone(),
        events.clone(),
    )));
    tasks.push(tokio::spawn(ready_sampler(
        stack,
        events.clone(),
        changed_rx,
    )));
    Watcher { tasks }
}

/// Each service in bring-up order with its current container and a fresh readiness check.
pub async fn snapshot(stack: &Stack) -> anyhow::Result<Vec<ServiceView>> {
    Ok(probe(stack, &stack.status().await?).await)
}

/// The views of `containers` (as last listed) with a fresh readiness check of each.
async fn probe(stack: &Stack, containers: &[(String, Option<ContainerInfo>)]) -> Vec<ServiceView> {
    let mut views = Vec::new();
    for (service, container) in containers {
        let health = match &container {
            Some(c) if c.running => match stack.check_ready(service, c).await {
                Ok(_) => Health::Healthy,
                Err(_) if within_ready_timeout(stack, service, c) => Health::Starting,
                Err(reason) => Health::Unhealthy(reason),
            },
            Some(_) => Health::Unknown,
            None => Health::Unknown,
        };
        views.push(view(stack, service, container.as_ref(), health));
    }
    views
}

/// True while a container is younger than its service's readiness deadline.
fn within_ready_timeout(stack: &Stack, service: &str, container: &ContainerInfo) -> bool {
    let (Some(spec), Some(started)) = (stack.spec.services.get(service), container.started_at)
    else {
        return false;
    };
    let age = Utc::now() - started;
    age.to_std().is_ok_and(|age| age < spec.ready.timeout())
}

fn view(stack: &Stack, service: &str, c: Option<&ContainerInfo>, health: Health) -> ServiceView {
    let spec = stack.spec.services.get(service);
    let image_name = spec
        .and_then(|s| s.image.clone())
        .unwrap_or_else(|| stack.image_tag(service));
    let image = match c {
        Some(c) => {
            let id = c.image_id.strip_prefix("sha256:").unwrap_or(&c.image_id);
            format!("{image_name} {}", &id[..id.len().min(12)])
        }
        None => image_name,
    };
    ServiceView {
        name: service.to_string(),
        state: c.map_or_else(|| "missing".to_string(), |c| c.state.clone()),
        health,
        started_at: c.filter(|c| c.running).and_then(|c| c.started_at),
        image,
        port: c.and_then(|c| c.host_port),
        container_id: c.map(|c| c.id.clone()),
    }
}

/// Lists the stack's containers now and after every container event of the stack (never on a
/// timer), probes health on its own schedule against the last list, and sends a snapshot when
/// what it shows changed; bumps `changed` so stats streams can find new containers.
async fn services(stack: Arc<Stack>, events: EventSender, changed: signal::Sender<u64>) {
    let mut generation = 0u64;
    loop {
        let mut stream = Box::pin(stack.engine.events(stack.name()));
        let Some(mut containers) = list(&stack, &events).await else {
            tokio::time::sleep(Duration::from_secs(2)).await;
            continue;
        };
        let mut views = probe(&stack, &containers).await;
        events.send(Event::Services(views.clone()));
        changed.send_replace(generation);

        let mut sweep = tokio::time::interval(HEALTH_SWEEP);
        sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        sweep.tick().await;
        loop {
            tokio::select! {
                item = stream.next() => match item {
                    Some(Ok(_event)) => {
                        // Events come in bursts (create, start, ...): let the burst settle.
                        tokio::time::sleep(Duration::from_millis(150)).await;
                        generation += 1;
                        changed.send_replace(generation);
                        if let Some(listed) = list(&stack, &events).await {
                            containers = listed;
                        }
                        views = probe(&stack, &containers).await;
                        events.send(Event::Services(views.clone()));
                    }
                    Some(Err(err)) => {
                        events.send(Event::Warning(format!("engine events: {err}")));
                        break;
                    }
                    None => break,
                },
                _ = sweep.tick() => {
                    let probed = probe(&stack, &containers).await;
                    if probed != views {
                        views = probed;
                        events.send(Event::Services(views.clone()));
                    }
                }
            }
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// The stack's containers by service, or `None` after sending why they could not be listed.
async fn list(stack: &Stack, events: &EventSender) -> Option<Vec<(String, Option<ContainerInfo>)>> {
    match stack.status().await {
        Ok(containers) => Some(containers),
        Err(err) => {
            events.send(Event::Warning(format!("service list: {err:#}")));
            None
        }
    }
}

/// The newest running container of `service`.
async fn running(stack: &Stack, service: &str) -> Option<ContainerInfo> {
    let containers = stack.containers_of(service).await.ok()?;
    containers.into_iter().find(|c| c.running)
}

/// Follows the service's output across restarts and new containers and sends each batch the
/// follower makes (what arrived within a few milliseconds) as one [`Event::Logs`].
async fn logs(stack: Arc<Stack>, service: String, events: EventSender) {
    let mut batches = super::follow_batches(stack, service, Some(FIRST_TAIL));
    while let Some(lines) = batches.next().await {
        events.send(Event::Logs(lines));
    }
}

/// Streams the resource use of the service's running container, moving to new containers.
async fn stats(
    stack: Arc<Stack>,
    service: String,
    events: EventSender,
    mut changed: signal::Receiver<u64>,
) {
    loop {
        if let Some(container) = running(&stack, &service).await {
            let mut stream = Box::pin(stack.engine.stats(&container.id));
            while let Some(Ok(reading)) = stream.next().await {
                events.send(Event::Stats(StatsSample {
                    service: service.clone(),
                    cpu_percent: reading.cpu_percent,
                    memory_bytes: reading.memory_bytes,
                    memory_limit_bytes: reading.memory_limit_bytes,
                    net_rx_bytes: reading.net_rx_bytes,
                    net_tx_bytes: reading.net_tx_bytes,
                    block_read_bytes: reading.block_read_bytes,
                    block_write_bytes: reading.block_write_bytes,
                }));
            }
            if running(&stack, &service)
                .await
                .is_some_and(|c| c.id != container.id)
            {
                continue;
            }
        }
        if changed.changed().await.is_err() {
            return;
        }
    }
}

/// Samples `/api/ready` through the published port once a second, as a user's browser would
/// reach it: the port the publishing container really has, looked up again after every
/// container change (`changed`), else the stack file's.
async fn ready_sampler(stack: Arc<Stack>, events: EventSender, mut changed: signal::Receiver<u64>) {
    let Some((service, port)) = stack
        .spec
        .services
        .iter()
        .find_map(|(name, s)| s.publish.map(|p| (name.clone(), p.host)))
    else {
        return;
    };
    let client = http_client();
    let mut probe = probe_of(port);
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if changed.has_changed().unwrap_or(false) {
            changed.mark_unchanged();
            let published = running(&stack, &service).await.and_then(|c| c.host_port);
            probe = probe_of(published.unwrap_or(port));
        }
        let started = Instant::now();
        let result = probe.check(&client).await;
        let sample = match result {
            Ok(_) => ReadySample {
                at: Utc::now(),
                latency: Some(started.elapsed()),
                error: None,
            },
            Err(reason) => ReadySample {
                at: Utc::now(),
                latency: None,
                error: Some(reason),
            },
        };
        events.send(Event::Ready(sample));
    }
}

/// The readiness probe of the app through a port on this host.
fn probe_of(port: u16) -> HttpProbe {
    HttpProbe {
        urls: vec![format!("http://127.0.0.1:{port}/api/ready")],
    }
}
