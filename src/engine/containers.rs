//! Containers: create, upload files into, start, inspect, stop, remove, list by stack.

use std::collections::HashMap;
use std::net::IpAddr;

use bollard::models::{
    ContainerCreateBody, EndpointSettings, HostConfig, Mount, MountType, NetworkingConfig,
    PortBinding,
};
use bollard::query_parameters::{
    CreateContainerOptions, ListContainersOptions, LogsOptions, RemoveContainerOptions,
    StopContainerOptions, UploadToContainerOptions,
};
use chrono::{DateTime, Utc};
use futures::StreamExt;

use super::{
    ArchiveFile, CONFIG_LABEL, Engine, EngineError, SERVICE_LABEL, STACK_LABEL, is_ours,
    stack_filter, tar_archive,
};

/// Everything needed to create one container of a stack.
#[derive(Debug, Clone, Default)]
pub struct ContainerSpec {
    pub name: String,
    pub image: String,
    /// Replaces the image's command when not empty.
    pub cmd: Vec<String>,
    /// `KEY=value` pairs. Never a secret: those are uploaded as files.
    pub env: Vec<String>,
    /// Must hold the stack's label; see [`super::labels`].
    pub labels: HashMap<String, String>,
    pub network: String,
    /// Names the container answers to on the network (the service name).
    pub aliases: Vec<String>,
    /// Named volume → mount path.
    pub volumes: Vec<(String, String)>,
    /// Container port → host port (bound on all addresses).
    pub publish: Option<(u16, u16)>,
    pub stop_grace_secs: u64,
}

/// What Capstan reads back about one container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerInfo {
    pub id: String,
    pub name: String,
    pub stack: Option<String>,
    pub service: Option<String>,
    pub config_hash: Option<String>,
    /// The engine's state: created, running, exited, ...
    pub state: String,
    pub running: bool,
    pub exit_code: Option<i64>,
    pub image_id: String,
    /// The image name the container was created from.
    pub image: String,
    pub started_at: Option<DateTime<Utc>>,
    /// The address on each network, by network name.
    pub ips: HashMap<String, IpAddr>,
    /// The host port bound to the first published port, if any.
    pub host_port: Option<u16>,
    /// The container's environment, as the engine reports it.
    pub env: Vec<String>,
}

impl Engine {
    /// Creates (does not start) a container; returns its id.
    pub async fn create_container(&self, spec: &ContainerSpec) -> Result<String, EngineError> {
        if !spec.labels.contains_key(STACK_LABEL) {
            return Err(EngineError::NotOurs {
                what: format!("container {}", spec.name),
                stack: "(none)".into(),
            });
        }
        let mounts = spec
            .volumes
            .iter()
            .map(|(volume, target)| Mount {
                source: Some(volume.clone()),
                target: Some(target.clone()),
                typ: Some(MountType::VOLUME),
                ..Default::default()
            })
            .collect();
        let port_bindings = spec.publish.map(|(container, host)| {
            HashMap::from([(
                format!("{container}/tcp"),
                Some(vec![PortBinding {
                    host_ip: None,
                    host_port: Some(host.to_string()),
                }]),
            )])
        });
        let endpoint = EndpointSettings {
            aliases: Some(spec.aliases.clone()),
            ..Default::default()
        };
        let body = ContainerCreateBody {
            image: Some(spec.image.clone()),
            cmd: (!spec.cmd.is_empty()).then(|| spec.cmd.clone()),
            env: Some(spec.env.clone()),
            labels: Some(spec.labels.clone()),
            exposed_ports: spec
                .publish
                .map(|(container, _)| vec![format!("{container}/tcp")]),
            stop_timeout: Some(spec.stop_grace_secs as i64),
            host_config: Some(HostConfig {
                mounts: Some(mounts),
                port_bindings,
                network_mode: Some(spec.network.clone()),
                init: Some(true),
                ..Default::default()
            }),
            networking_config: Some(NetworkingConfig {
                endpoints_config: Some(HashMap::from([(spec.network.clone(), endpoint)])),
            }),
            ..Default::default()
        };

        let options = CreateContainerOptions {
            name: Some(spec.name.clone()),
            ..Default::default()
        };
        let created = self
            .docker
            .create_container(Some(options), body)
            .await
            .map_err(EngineError::api(format!("create container {}", spec.name)))?;
        Ok(created.id)
    }

    /// Unpacks `files` into a created or running container, under `/`.
    pub async fn upload_files(&self, id: &str, files: &[ArchiveFile]) -> Result<(), EngineError> {
        let archive = tar_archive(files).map_err(|err| EngineError::Build {
            image: format!("upload to {id}"),
            message: err.to_string(),
        })?;
        let options = UploadToContainerOptions {
            path: "/".to_string(),
            ..Default::default()
        };
        self.docker
            .upload_to_container(id, Some(options), bollard::body_full(archive.into()))
            .await
            .map_err(EngineError::api(format!("upload files to container {id}")))
    }

    pub async fn start_container(&self, id: &str) -> Result<(), EngineError> {
        self.docker
            .start_container(id, None)
            .await
            .map_err(EngineError::api(format!("start container {id}")))
    }

    /// Reads a container back.
    pub async fn inspect_container(&self, id: &str) -> Result<ContainerInfo, EngineError> {
        let inspect = self
            .docker
            .inspect_container(id, None)
            .await
            .map_err(EngineError::api(format!("container {id}")))?;

        let config = inspect.config.unwrap_or_default();
        let labels = config.labels.unwrap_or_default();
        let state = inspect.state.unwrap_or_default();
        let settings = inspect.network_settings.unwrap_or_default();
        let ips = settings
            .networks
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(name, endpoint)| {
                let ip = endpoint.ip_address?.parse().ok()?;
                Some((name, ip))
            })
            .collect();
        let host_port = settings
            .ports
            .unwrap_or_default()
            .into_values()
            .flatten()
            .flatten()
            .find_map(|binding| binding.host_port?.parse().ok());
        let started_at = state
            .started_at
            .as_deref()
            .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
            .map(|at| at.with_timezone(&Utc))
            .filter(|at| at.timestamp() > 0);

        Ok(ContainerInfo {
            id: inspect.id.unwrap_or_else(|| id.to_string()),
            name: inspect
                .name
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_string(),
            stack: labels.get(STACK_LABEL).cloned(),
            service: labels.get(SERVICE_LABEL).cloned(),
            config_hash: labels.get(CONFIG_LABEL).cloned(),
            state: state
                .status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "unknown".into()),
            running: state.running.unwrap_or(false),
            exit_code: state.exit_code,
            image_id: inspect.image.unwrap_or_default(),
            image: config.image.unwrap_or_default(),
            started_at,
            ips,
            host_port,
            env: config.env.unwrap_or_default(),
        })
    }

    /// Every container of the stack, running or not, read back in full.
    pub async fn stack_containers(&self, stack: &str) -> Result<Vec<ContainerInfo>, EngineError> {
        let options = ListContainersOptions {
            all: true,
            filters: Some(stack_filter(stack)),
            ..Default::default()
        };
        let summaries =
            self.docker
                .list_containers(Some(options))
                .await
                .map_err(EngineError::api(format!(
                    "list containers of stack {stack}"
                )))?;

        let mut containers = Vec::new();
        for summary in summaries {
            let Some(id) = summary.id else { continue };
            if !is_ours(summary.labels.as_ref(), stack) {
                continue;
            }
            match self.inspect_container(&id).await {
                Ok(info) => containers.push(info),
                Err(EngineError::NotFound { .. }) => {}
                Err(err) => return Err(err),
            }
        }
        Ok(containers)
    }

    /// Stops a container of the stack: its stop signal, then SIGKILL after `grace_secs`.
    pub async fn stop_container(
        &self,
        id: &str,
        stack: &str,
        grace_secs: u64,
    ) -> Result<(), EngineError> {
        self.check_ours(id, stack).await?;
        let options = StopContainerOptions {
            t: Some(grace_secs as i32),
            signal: None,
        };
        match self.docker.stop_container(id, Some(options)).await {
            Ok(()) => Ok(()),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 304, ..
            }) => Ok(()),
            Err(source) => Err(EngineError::Api {
                what: format!("stop container {id}"),
                source,
            }),
        }
    }

    /// Removes a container of the stack, killing it if it still runs.
    pub async fn remove_container(&self, id: &str, stack: &str) -> Result<(), EngineError> {
        self.check_ours(id, stack).await?;
        let options = RemoveContainerOptions {
            force: true,
            v: false,
            link: false,
        };
        self.docker
            .remove_container(id, Some(options))
            .await
            .map_err(EngineError::api(format!("remove container {id}")))
    }

    /// The container's last `lines` lines of output (stdout and stderr, interleaved).
    pub async fn last_log_lines(&self, id: &str, lines: usize) -> Vec<String> {
        let options = LogsOptions {
            stdout: true,
            stderr: true,
            tail: lines.to_string(),
            ..Default::default()
        };
        let mut stream = self.docker.logs(id, Some(options));
        let mut out = Vec::new();
        while let Some(Ok(chunk)) = stream.next().await {
            let text = String::from_utf8_lossy(&chunk.into_bytes()).into_owned();
            out.extend(text.lines().map(str::to_string));
        }
        out
    }

    async fn check_ours(&self, id: &str, stack: &str) -> Result<(), EngineError> {
        let info = self.inspect_container(id).await?;
        if info.stack.as_deref() == Some(stack) {
            Ok(())
        } else {
            Err(EngineError::NotOurs {
                what: format!("container {}", info.name),
                stack: stack.into(),
            })
        }
    }
}
