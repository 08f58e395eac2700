//! The only module that talks to the Docker engine (through bollard).
//!
//! It owns the connection (with a negotiated API version), the labels that mark what Capstan
//! created, and every engine call: images, networks, volumes, containers, logs, events, stats.
//! Nothing here removes or stops an object that lacks the stack's label.
//!
//! It must not import `stack`, `ops` or `tui`: those build on it.

mod archive;
mod containers;
mod images;
mod log_lines;
mod resources;
mod streams;

use std::collections::HashMap;

use bollard::Docker;

pub use archive::{ArchiveFile, tar_archive};
pub use containers::{ContainerInfo, ContainerSpec};
pub use images::BuildLine;
pub use streams::{EngineEvent, LogChunk, StatsReading};

/// The label naming the stack an object belongs to.
pub const STACK_LABEL: &str = "dev.capstan.stack";
/// The label naming the service a container or image belongs to.
pub const SERVICE_LABEL: &str = "dev.capstan.service";
/// The label holding a hash of the service's settings, to tell a current container.
pub const CONFIG_LABEL: &str = "dev.capstan.config";
/// The label holding a hash of an image's build context, to tell a current image.
pub const CONTEXT_LABEL: &str = "dev.capstan.context";

/// What can go wrong talking to the engine, split where a caller branches.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(
        "cannot reach the Docker engine ({source}); is dockerd running and is \
         /var/run/docker.sock (or DOCKER_HOST) reachable?"
    )]
    Unreachable { source: bollard::errors::Error },
    #[error("{what} not found")]
    NotFound { what: String },
    #[error("refusing to touch {what}: it does not carry the label {STACK_LABEL}={stack}")]
    NotOurs { what: String, stack: String },
    #[error("building image {image} failed: {message}")]
    Build { image: String, message: String },
    #[error("image {image} is not on this machine and cannot be pulled: {message}")]
    PullFailed { image: String, message: String },
    #[error("{what}: {source}")]
    Api {
        what: String,
        source: bollard::errors::Error,
    },
}

impl EngineError {
    fn api(what: impl Into<String>) -> impl FnOnce(bollard::errors::Error) -> EngineError {
        let what = what.into();
        move |source| match source {
            bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            } => EngineError::NotFound { what },
            source => EngineError::Api { what, source },
        }
    }
}

/// A connection to one Docker engine.
#[derive(Debug, Clone)]
pub struct Engine {
    docker: Docker,
}

impl Engine {
    /// Connects to the local engine (`DOCKER_HOST` or the default socket) and negotiates the
    /// API version, so older engines (20.10 speaks 1.41) work.
    pub async fn connect() -> Result<Engine, EngineError> {
        let docker = Docker::connect_with_local_defaults()
            .map_err(|source| EngineError::Unreachable { source })?;
        let docker = docker
            .negotiate_version()
            .await
            .map_err(|source| EngineError::Unreachable { source })?;
        docker
            .ping()
            .await
            .map_err(|source| EngineError::Unreachable { source })?;
        Ok(Engine { docker })
    }

    /// The API version in use after negotiation, e.g. "1.41".
    pub fn api_version(&self) -> String {
        self.docker.client_version().to_string()
    }
}

/// The labels of an object of `stack`, for `service` when it belongs to one.
pub fn labels(stack: &str, service: Option<&str>) -> HashMap<String, String> {
    let mut labels = HashMap::from([(STACK_LABEL.to_string(), stack.to_string())]);
    if let Some(service) = service {
        labels.insert(SERVICE_LABEL.to_string(), service.to_string());
    }
    labels
}

fn is_ours(labels: Option<&HashMap<String, String>>, stack: &str) -> bool {
    labels
        .and_then(|labels| labels.get(STACK_LABEL))
        .is_some_and(|value| value == stack)
}

fn stack_filter(stack: &str) -> HashMap<String, Vec<String>> {
    HashMap::from([("label".to_string(), vec![format!("{STACK_LABEL}={stack}")])])
}
