//! Bring-up, redeploy, rollback and tear-down of a stack's services.

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use rand::Rng;
use sha2::{Digest, Sha256};

use super::history::{self, DeployRecord};
use super::images::{ensure_base_images, service_image, short_id};
use super::ready;
use super::secrets::ensure_secret;
use super::{Progress, ServiceSpec, Stack, StepState};
use crate::engine::{ArchiveFile, CONFIG_LABEL, ContainerInfo, ContainerSpec, labels};

/// How many of a failing container's last log lines a failure shows.
const LOG_LINES_ON_FAILURE: usize = 20;

/// Builds the images, creates the network and volumes, and starts each service once what it
/// depends on is ready. A running container with the current image and settings is kept.
pub async fn up(stack: &Stack, progress: &dyn Progress) -> anyhow::Result<()> {
    ensure_base_images(stack, progress).await?;
    // Builds overlap: the engine works on one while the other's context uploads.
    let builds = stack
        .order
        .iter()
        .map(|service| service_image(stack, service, progress));
    let images = futures::future::try_join_all(builds).await?;
    prepare(stack, progress).await?;

    for (service, image_id) in stack.order.iter().zip(images) {
        bring_up(stack, service, &image_id, progress).await?;
    }
    Ok(())
}

/// Secrets, the network and the volumes: what every container of the stack needs.
async fn prepare(stack: &Stack, progress: &dyn Progress) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut secrets: Vec<&String> = stack
        .spec
        .services
        .values()
        .flat_map(|s| &s.secrets)
        .collect();
    secrets.sort();
    secrets.dedup();
    for secret in &secrets {
        ensure_secret(&stack.data_dir, secret)?;
    }
    if !secrets.is_empty() {
        let detail = format!(
            "{} under {}",
            secrets.len(),
            stack.data_dir.join("secrets").display()
        );
        progress.step("secrets", StepState::Ok, started.elapsed(), Some(detail));
    }

    let started = Instant::now();
    let network = stack.network();
    let created = stack.engine.ensure_network(&network, stack.name()).await?;
    let state = if created {
        StepState::Changed
    } else {
        StepState::Ok
    };
    progress.step(
        &format!("network {network}"),
        state,
        started.elapsed(),
        None,
    );

    for spec in stack.spec.services.values() {
        for volume in spec.volumes.keys() {
            let started = Instant::now();
            let name = stack.volume(volume);
            let created = stack.engine.ensure_volume(&name, stack.name()).await?;
            let state = if created {
                StepState::Changed
            } else {
                StepState::Ok
            };
            progress.step(&format!("volume {name}"), state, started.elapsed(), None);
        }
    }
    Ok(())
}

/// Keeps a current, ready container of `service`, or replaces what is there with a new one.
async fn bring_up(
    stack: &Stack,
    service: &str,
    image_id: &str,
    progress: &dyn Progress,
) -> anyhow::Result<()> {
    let spec = stack.service(service)?;
    let hash = config_hash(stack, spec);
    let step = format!("start {service}");
    let started = Instant::now();
    progress.step(&step, StepState::Running, Duration::ZERO, None);

    let existing = stack.containers_of(service).await?;
    let current = existing.iter().find(|c| {
        c.running && c.image_id == image_id && c.config_hash.as_deref() == Some(hash.as_str())
    });
    if let Some(current) = current {
        for other in existing.iter().filter(|c| c.id != current.id) {
            stack
                .engine
                .remove_container(&other.id, stack.name())
                .await?;
        }
        return match ready::wait(stack, spec, &current.id).await {
            Ok(took) => {
                let detail = format!("kept {}, ready in {:.1}s", current.name, took.as_secs_f64());
                progress.step(&step, StepState::Ok, started.elapsed(), Some(detail));
                Ok(())
            }
            Err(not_ready) => Err(fail(
                stack,
                (service, spec),
                current,
                &not_ready,
                (&step, started),
                progress,
            )
            .await),
        };
    }

    for old in &existing {
        stack
            .engine
            .stop_container(&old.id, stack.name(), spec.stop_grace_secs)
            .await?;
        stack.engine.remove_container(&old.id, stack.name()).await?;
    }
    let container = create_and_start(stack, service, image_id).await?;
    match ready::wait(stack, spec, &container.id).await {
        Ok(took) => {
            let detail = format!("{} ready in {:.1}s", container.name, took.as_secs_f64());
            progress.step(&step, StepState::Changed, started.elapsed(), Some(detail));
            remember(stack, service, image_id, "ok", "up");
            Ok(())
        }
        Err(not_ready) => {
            remember(stack, service, image_id, "failed", &not_ready.to_string());
            Err(fail(
                stack,
                (service, spec),
                &container,
                &not_ready,
                (&step, started),
                progress,
            )
            .await)
        }
    }
}

/// Builds a new image of `service` (or takes `image`), starts a container of it beside the
/// old one, and swaps once the new one is ready. A new container that never gets ready is
/// removed and the old one keeps serving.
///
/// A service that publishes a host port or mounts a volume cannot run twice at once: its old
/// container is stopped first and started again if the new one fails.
// Shortcoming: that stop makes a short outage for the frontend and db; a zero-downtime swap
// for them needs a second host port behind the host's reverse proxy (a later issue).
pub async fn redeploy(
    stack: &Stack,
    service: &str,
    image: Option<String>,
    progress: &dyn Progress,
) -> anyhow::Result<()> {
    let spec = stack.service(service)?;
    ensure_base_images(stack, progress).await?;
    let image_id = match image {
        Some(image) => image,
        None => service_image(stack, service, progress).await?,
    };
    prepare(stack, progress).await?;

    let old: Vec<ContainerInfo> = stack.containers_of(service).await?;
    let exclusive = spec.publish.is_some() || !spec.volumes.is_empty();
    if exclusive {
        for container in old.iter().filter(|c| c.running) {
            let started = Instant::now();
            let step = format!("stop old {}", container.name);
            stack
                .engine
                .stop_container(&container.id, stack.name(), spec.stop_grace_secs)
                .await?;
            progress.step(&step, StepState::Changed, started.elapsed(), None);
        }
    }

    let step = format!("start new {service}");
    let started = Instant::now();
    progress.step(
        &step,
        StepState::Running,
        Duration::ZERO,
        Some(short_id(&image_id).into()),
    );
    let container = create_and_start(stack, service, &image_id).await?;
    let outcome = ready::wait(stack, spec, &container.id).await;
    let not_ready = match outcome {
        Ok(took) => {
            let detail = format!("{} ready in {:.1}s", container.name, took.as_secs_f64());
            progress.step(&step, StepState::Changed, started.elapsed(), Some(detail));
            None
        }
        Err(not_ready) => Some(not_ready),
    };

    if let Some(not_ready) = not_ready {
        remember(stack, service, &image_id, "failed", &not_ready.to_string());
        let err = fail(
            stack,
            (service, spec),
            &container,
            &not_ready,
            (&step, started),
            progress,
        )
        .await;
        stack
            .engine
            .remove_container(&container.id, stack.name())
            .await?;
        if exclusive {
            for old in old.iter().filter(|c| c.running) {
                stack.engine.start_container(&old.id).await?;
            }
        }
        let kept: Vec<&str> = old
            .iter()
            .filter(|c| c.running)
            .map(|c| c.name.as_str())
            .collect();
        return Err(err.context(format!(
            "redeploy of `{service}` failed; removed the new container and kept {} serving",
            if kept.is_empty() {
                "nothing (there was no old container)".into()
            } else {
                kept.join(", ")
            }
        )));
    }

    for old in &old {
        let started = Instant::now();
        let step = format!("retire {}", old.name);
        progress.step(&step, StepState::Running, Duration::ZERO, None);
        stack
            .engine
            .stop_container(&old.id, stack.name(), spec.stop_grace_secs)
            .await?;
        stack.engine.remove_container(&old.id, stack.name()).await?;
        progress.step(
            &step,
            StepState::Changed,
            started.elapsed(),
            Some("drained".into()),
        );
    }
    remember(stack, service, &image_id, "ok", "redeploy");
    Ok(())
}

/// Redeploys `service` with the last image that deployed well and is not the current one.
pub async fn rollback(stack: &Stack, service: &str, progress: &dyn Progress) -> anyhow::Result<()> {
    stack.service(service)?;
    let current = stack
        .containers_of(service)
        .await?
        .into_iter()
        .find(|c| c.running)
        .map(|c| c.image_id)
        .unwrap_or_default();
    let records = history::read_history(&stack.data_dir)?;
    let Some(image) = history::last_good_other(&records, service, &current) else {
        anyhow::bail!("no earlier good deploy of `{service}` in the history to roll back to");
    };
    redeploy(stack, service, Some(image), progress).await
}

/// Stops `service`'s running containers. They stay, with their logs, until the next `up`
/// replaces them; services that need this one fail their readiness until then.
pub async fn stop(stack: &Stack, service: &str, progress: &dyn Progress) -> anyhow::Result<()> {
    let spec = stack.service(service)?;
    let containers = stack.containers_of(service).await?;
    let running: Vec<_> = containers.iter().filter(|c| c.running).collect();
    if running.is_empty() {
        let detail = Some("not running".to_string());
        progress.step(
            &format!("stop {service}"),
            StepState::Ok,
            Duration::ZERO,
            detail,
        );
        return Ok(());
    }

    for container in running {
        let step = format!("stop {}", container.name);
        let started = Instant::now();
        progress.step(&step, StepState::Running, Duration::ZERO, None);
        stack
            .engine
            .stop_container(&container.id, stack.name(), spec.stop_grace_secs)
            .await?;
        progress.step(&step, StepState::Changed, started.elapsed(), None);
    }
    Ok(())
}

/// Stops and removes every container of the stack (dependents first) and its network; with
/// `volumes`, its named volumes too.
pub async fn down(stack: &Stack, volumes: bool, progress: &dyn Progress) -> anyhow::Result<()> {
    let containers = stack.engine.stack_containers(stack.name()).await?;
    let rank = |c: &ContainerInfo| {
        stack
            .order
            .iter()
            .position(|s| Some(s) == c.service.as_ref())
            .unwrap_or(usize::MAX)
    };
    let mut containers = containers;
    containers.sort_by_key(|c| std::cmp::Reverse(rank(c)));

    for container in &containers {
        let started = Instant::now();
        let grace = container
            .service
            .as_deref()
            .and_then(|s| stack.spec.services.get(s))
            .map_or(10, |s| s.stop_grace_secs);
        stack
            .engine
            .stop_container(&container.id, stack.name(), grace)
            .await?;
        stack
            .engine
            .remove_container(&container.id, stack.name())
            .await?;
        progress.step(
            &format!("remove {}", container.name),
            StepState::Changed,
            started.elapsed(),
            None,
        );
    }

    let started = Instant::now();
    for network in stack.engine.remove_networks(stack.name()).await? {
        progress.step(
            &format!("remove network {network}"),
            StepState::Changed,
            started.elapsed(),
            None,
        );
    }

    let mut names: Vec<String> = stack
        .spec
        .services
        .values()
        .flat_map(|s| s.volumes.keys())
        .map(|v| stack.volume(v))
        .collect();
    names.sort();
    names.dedup();
    for name in names {
        let started = Instant::now();
        if !volumes {
            progress.step(
                &format!("keep volume {name}"),
                StepState::Skipped,
                started.elapsed(),
                None,
            );
        } else if stack.engine.remove_volume(&name, stack.name()).await? {
            progress.step(
                &format!("remove volume {name}"),
                StepState::Changed,
                started.elapsed(),
                None,
            );
        }
    }
    Ok(())
}

/// Creates a container of `service`, uploads its secrets as files (mode 0400), and starts it.
/// On any failure the half-made container is removed.
async fn create_and_start(
    stack: &Stack,
    service: &str,
    image_id: &str,
) -> anyhow::Result<ContainerInfo> {
    let spec = stack.service(service)?;
    let suffix: u32 = rand::rng().random();
    let mut container_labels = labels(stack.name(), Some(service));
    container_labels.insert(CONFIG_LABEL.to_string(), config_hash(stack, spec));
    let container = ContainerSpec {
        name: format!(
            "capstan-{}-{service}-{:06x}",
            stack.name(),
            suffix & 0xff_ffff
        ),
        image: image_id.to_string(),
        cmd: spec.command.clone(),
        env: spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect(),
        labels: container_labels,
        network: stack.network(),
        aliases: vec![service.to_string()],
        volumes: spec
            .volumes
            .iter()
            .map(|(v, path)| (stack.volume(v), path.clone()))
            .collect(),
        publish: spec.publish.map(|p| (p.container, p.host)),
        stop_grace_secs: spec.stop_grace_secs,
    };

    let id = stack.engine.create_container(&container).await?;
    let started = async {
        let mut files = Vec::new();
        for secret in &spec.secrets {
            files.push(ArchiveFile {
                path: format!("run/secrets/{secret}"),
                mode: 0o400,
                uid: u64::from(spec.secrets_uid),
                bytes: ensure_secret(&stack.data_dir, secret)?.into_bytes(),
            });
        }
        if !files.is_empty() {
            stack.engine.upload_files(&id, &files).await?;
        }
        stack.engine.start_container(&id).await?;
        anyhow::Ok(stack.engine.inspect_container(&id).await?)
    }
    .await;

    match started {
        Ok(info) => Ok(info),
        Err(err) => {
            let _ = stack.engine.remove_container(&id, stack.name()).await;
            Err(err.context(format!(
                "failed to start container {} of `{service}`",
                container.name
            )))
        }
    }
}

/// Reports a readiness failure: the step, the container's last log lines, one error.
async fn fail(
    stack: &Stack,
    (service, spec): (&str, &ServiceSpec),
    container: &ContainerInfo,
    not_ready: &crate::probe::NotReady,
    (step, started): (&str, Instant),
    progress: &dyn Progress,
) -> anyhow::Error {
    let checked = ready::describe(stack, spec, container);
    let last = not_ready
        .last_error
        .as_deref()
        .unwrap_or("no check finished");
    let logs = stack
        .engine
        .last_log_lines(&container.id, LOG_LINES_ON_FAILURE)
        .await;

    progress.step(
        step,
        StepState::Failed,
        started.elapsed(),
        Some(last.to_string()),
    );
    progress.line(format!(
        "last {} log lines of {}:",
        logs.len(),
        container.name
    ));
    for line in &logs {
        progress.line(format!("  {line}"));
    }
    let mut message = format!(
        "service `{service}` did not become ready within {}s (waited {:.1}s): checked {checked}; \
         last error: {last}",
        spec.ready.timeout_secs,
        not_ready.waited.as_secs_f64()
    );
    message.push_str(&format!(
        "\nlast log lines of container {}:",
        container.name
    ));
    for line in &logs {
        message.push_str("\n  ");
        message.push_str(line);
    }
    anyhow::anyhow!(message)
}

/// A hash of everything that shapes a service's container besides its image.
fn config_hash(stack: &Stack, spec: &ServiceSpec) -> String {
    let text = serde_json::to_string(&(spec, stack.network())).unwrap_or_default();
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Appends to the deploy history; a history that cannot be written is not worth failing a
/// deploy that worked, so the error only goes to the diagnostic log.
fn remember(stack: &Stack, service: &str, image_id: &str, outcome: &str, detail: &str) {
    let record = DeployRecord {
        service: service.to_string(),
        image_id: image_id.to_string(),
        at: Utc::now(),
        outcome: outcome.to_string(),
        detail: detail.to_string(),
    };
    if let Err(err) = history::record(&stack.data_dir, &record).context("deploy history") {
        tracing::warn!("{err:#}");
    }
}
