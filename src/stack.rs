//! The stack: services, their dependency graph, images, readiness gates, bring-up order,
//! redeploy with a readiness-gated swap, rollback, and the deploy history.
//!
//! It reports progress through the [`Progress`] trait and never prints. It must not import
//! `ops`, `tui` or `cli`; it reaches Docker only through `engine` and checks readiness only
//! through `probe`.

mod deploy;
mod history;
mod images;
mod ready;
mod restore;
mod secrets;
mod spec;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;

use crate::engine::{ContainerInfo, Engine};

pub use deploy::{down, redeploy, rollback, stop, up};
pub use history::{DeployRecord, read_history};
pub use restore::{Before, restore};
pub use spec::{
    DEFAULT_STACK, HttpCheck, Publish, Ready, ServiceSpec, SpecError, SqlCheck, StackSpec, order,
    parse,
};

/// How to load a stack: the same for the CLI and the dashboard.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// A stack file replacing the embedded one.
    pub stack_file: Option<PathBuf>,
    /// Replaces the stack file's `name`.
    pub project: Option<String>,
    /// Replaces the host port of the one service that publishes a port.
    pub port: Option<u16>,
}

/// Where a step of a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepState {
    Running,
    Ok,
    Changed,
    Skipped,
    Failed,
}

/// Receives the progress of stack work; `ops` turns it into events.
pub trait Progress: Send + Sync {
    /// A step changed state; `elapsed` is the step's own time so far.
    fn step(&self, name: &str, state: StepState, elapsed: Duration, detail: Option<String>);
    /// A line worth showing (build output, a failing container's last log lines).
    fn line(&self, line: String);
}

/// A loaded stack on one engine, with the data directory its secrets and history live in.
#[derive(Debug, Clone)]
pub struct Stack {
    pub spec: StackSpec,
    /// Bring-up order.
    pub order: Vec<String>,
    pub engine: Engine,
    /// `<data dir>/stacks/<name>`: secrets and deploy history.
    pub data_dir: PathBuf,
}

/// The stack file and overrides, parsed and validated, without an engine.
pub fn load_spec(options: &Options) -> anyhow::Result<StackSpec> {
    let (file, text) = match &options.stack_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("failed to read stack file {}", path.display()))?;
            (path.display().to_string(), text)
        }
        None => (
            "(embedded stack.toml)".to_string(),
            DEFAULT_STACK.to_string(),
        ),
    };
    let mut spec = parse(&file, &text)?;

    if let Some(project) = &options.project {
        if !spec::is_name(project) {
            anyhow::bail!("--project `{project}` must be 1-40 lowercase letters, digits or '-'");
        }
        spec.name = project.clone();
    }
    if let Some(port) = options.port {
        let mut publishing = spec
            .services
            .values_mut()
            .filter_map(|s| s.publish.as_mut());
        match (publishing.next(), publishing.next()) {
            (Some(publish), None) => publish.host = port,
            (None, _) => anyhow::bail!("--port {port}: no service of stack file {file} publishes"),
            (Some(_), Some(_)) => {
                anyhow::bail!("--port {port}: several services of stack file {file} publish")
            }
        }
    }
    Ok(spec)
}

impl Stack {
    /// Loads the stack file with its overrides and connects to the local engine; secrets and
    /// history live under the platform data directory.
    pub async fn load(options: &Options) -> anyhow::Result<Stack> {
        Stack::load_in(options, crate::config::Paths::discover()?.data).await
    }

    /// Like [`Stack::load`], with secrets and history under `data` (tests use a temporary one).
    pub async fn load_in(options: &Options, data: PathBuf) -> anyhow::Result<Stack> {
        let spec = load_spec(options)?;
        let order = order(&spec).map_err(|cycle| anyhow::anyhow!("cycle: {cycle:?}"))?;
        let data_dir = data.join("stacks").join(&spec.name);
        let engine = Engine::connect().await?;
        Ok(Stack {
            spec,
            order,
            engine,
            data_dir,
        })
    }

    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// The stack's private network.
    pub fn network(&self) -> String {
        format!("capstan-{}", self.spec.name)
    }

    /// The engine's name for one of the stack's named volumes.
    pub fn volume(&self, volume: &str) -> String {
        format!("capstan-{}-{volume}", self.spec.name)
    }

    /// The tag of a service's built image.
    pub fn image_tag(&self, service: &str) -> String {
        format!("capstan-{}-{service}:latest", self.spec.name)
    }

    pub fn service(&self, name: &str) -> anyhow::Result<&ServiceSpec> {
        self.spec.services.get(name).with_context(|| {
            let known: Vec<&str> = self.order.iter().map(String::as_str).collect();
            format!(
                "no service `{name}` in stack {} (it has: {})",
                self.name(),
                known.join(", ")
            )
        })
    }

    /// The stack's containers of one service, newest first.
    pub async fn containers_of(&self, service: &str) -> anyhow::Result<Vec<ContainerInfo>> {
        let mut containers: Vec<ContainerInfo> = self
            .engine
            .stack_containers(self.name())
            .await?
            .into_iter()
            .filter(|c| c.service.as_deref() == Some(service))
            .collect();
        containers.sort_by_key(|c| std::cmp::Reverse(c.started_at));
        Ok(containers)
    }

    /// Each service in bring-up order with its current container, if it has one (the running
    /// one first).
    pub async fn status(&self) -> anyhow::Result<Vec<(String, Option<ContainerInfo>)>> {
        let all = self.engine.stack_containers(self.name()).await?;
        let mut out = Vec::new();
        for service in &self.order {
            let mut mine: Vec<&ContainerInfo> = all
                .iter()
                .filter(|c| c.service.as_deref() == Some(service))
                .collect();
            mine.sort_by(|a, b| {
                b.running
                    .cmp(&a.running)
                    .then(b.started_at.cmp(&a.started_at))
            });
            out.push((service.clone(), mine.first().map(|c| (*c).clone())));
        }
        Ok(out)
    }

    /// The readiness of a service's container right now: `Ok(latency)` or why not.
    pub async fn check_ready(
        &self,
        service: &str,
        container: &ContainerInfo,
    ) -> Result<Duration, String> {
        let spec = self.service(service).map_err(|e| e.to_string())?;
        ready::check_once(self, spec, container).await
    }
}
