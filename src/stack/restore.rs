//! Putting a service back as it was when work on it is interrupted (Ctrl-C during a redeploy
//! or a rollback): the containers the work started go, and those it stopped start again.

use std::time::{Duration, Instant};

use super::{Progress, Stack, StepState};
use crate::engine::ContainerInfo;

/// A service's containers before work on it began.
#[derive(Debug, Clone)]
pub struct Before {
    service: String,
    containers: Vec<ContainerInfo>,
}

impl Before {
    /// Notes what `service` runs now.
    pub async fn take(stack: &Stack, service: &str) -> anyhow::Result<Before> {
        stack.service(service)?;
        Ok(Before {
            service: service.to_string(),
            containers: stack.containers_of(service).await?,
        })
    }

    pub fn service(&self) -> &str {
        &self.service
    }
}

/// Removes the service's containers that were not there before and starts again those that
/// ran before and are stopped now.
///
/// When none of the containers from before is left (the work had already retired them), the
/// new ones are the only ones that can serve: they are kept as they are.
pub async fn restore(
    stack: &Stack,
    before: &Before,
    progress: &dyn Progress,
) -> anyhow::Result<()> {
    let now = stack.containers_of(&before.service).await?;
    let was_there = |c: &ContainerInfo| before.containers.iter().any(|old| old.id == c.id);
    if !now.iter().any(was_there) {
        let detail = Some("nothing from before is left; kept what runs".to_string());
        progress.step("restore", StepState::Skipped, Duration::ZERO, detail);
        return Ok(());
    }

    for new in now.iter().filter(|c| !was_there(c)) {
        let started = Instant::now();
        stack.engine.remove_container(&new.id, stack.name()).await?;
        let step = format!("remove {}", new.name);
        progress.step(&step, StepState::Changed, started.elapsed(), None);
    }
    for old in now.iter().filter(|c| was_there(c) && !c.running) {
        let ran = before
            .containers
            .iter()
            .any(|b| b.id == old.id && b.running);
        if !ran {
            continue;
        }
        let started = Instant::now();
        stack.engine.start_container(&old.id).await?;
        let step = format!("start {} again", old.name);
        progress.step(&step, StepState::Changed, started.elapsed(), None);
    }
    Ok(())
}
