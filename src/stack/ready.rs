//! Readiness of one container of a service: which probe, against which address.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use super::secrets::ensure_secret;
use super::{ServiceSpec, Stack};
use crate::engine::ContainerInfo;
use crate::probe::{Attempt, HttpProbe, NotReady, SqlTarget, http_client, sql_ready, wait_ready};

/// How often a waiting bring-up checks again.
const INTERVAL: Duration = Duration::from_millis(500);

/// What a probe of this service checks, in words, for messages.
pub fn describe(stack: &Stack, spec: &ServiceSpec, container: &ContainerInfo) -> String {
    if let Some(sql) = &spec.ready.sql {
        let host = container_ip(stack, container)
            .map(|ip| ip.to_string())
            .unwrap_or_default();
        return format!(
            "SELECT 1 as `{}` on {host}:{} in `{}`",
            sql.user, sql.port, sql.database
        );
    }
    let urls = http_urls(stack, spec, container).unwrap_or_default();
    format!("GET {}", urls.join(" and "))
}

/// One readiness check of a container; `Ok(latency)` or why not.
pub async fn check_once(
    stack: &Stack,
    spec: &ServiceSpec,
    container: &ContainerInfo,
) -> Result<Duration, String> {
    match attempt(stack, spec, container, &http_client()).await {
        (Attempt::Ready, latency) => Ok(latency),
        (Attempt::NotYet(reason) | Attempt::GaveUp(reason), _) => Err(reason),
    }
}

/// Waits until the container is ready or its service's deadline passes.
pub async fn wait(
    stack: &Stack,
    spec: &ServiceSpec,
    container_id: &str,
) -> Result<Duration, NotReady> {
    let client = http_client();
    wait_ready(spec.ready.timeout(), INTERVAL, || async {
        match stack.engine.inspect_container(container_id).await {
            Ok(container) if container.running => attempt(stack, spec, &container, &client).await.0,
            Ok(container) => Attempt::GaveUp(format!(
                "container {} is {} (exit code {})",
                container.name,
                container.state,
                container.exit_code.unwrap_or_default()
            )),
            Err(err) => Attempt::GaveUp(err.to_string()),
        }
    })
    .await
}

async fn attempt(
    stack: &Stack,
    spec: &ServiceSpec,
    container: &ContainerInfo,
    client: &reqwest::Client,
) -> (Attempt, Duration) {
    let started = std::time::Instant::now();
    let result = if let Some(sql) = &spec.ready.sql {
        sql_check(stack, sql, container).await
    } else {
        match http_urls(stack, spec, container) {
            Some(urls) => HttpProbe { urls }.check(client).await.map(|_| ()),
            None => Err(format!(
                "container {} has no address on the network",
                container.name
            )),
        }
    };
    match result {
        Ok(()) => (Attempt::Ready, started.elapsed()),
        Err(reason) => (Attempt::NotYet(reason), started.elapsed()),
    }
}

async fn sql_check(
    stack: &Stack,
    sql: &super::SqlCheck,
    container: &ContainerInfo,
) -> Result<(), String> {
    let host = container_ip(stack, container)
        .ok_or_else(|| format!("container {} has no address on the network", container.name))?;
    let password =
        ensure_secret(&stack.data_dir, &sql.password_secret).map_err(|err| format!("{err:#}"))?;
    let target = SqlTarget {
        host,
        port: sql.port,
        user: sql.user.clone(),
        password,
        database: sql.database.clone(),
    };
    sql_ready(&target).await
}

/// The URLs an HTTP check GETs: through the published port when the service publishes one (as
/// a user's browser would), else to the container's address on the stack's network.
fn http_urls(stack: &Stack, spec: &ServiceSpec, container: &ContainerInfo) -> Option<Vec<String>> {
    let http = spec.ready.http.as_ref()?;
    // The port the container really publishes: a stack brought up with another `--port` than
    // this command was given is still probed where it listens.
    let base = match spec.publish {
        Some(publish) => format!(
            "http://{}:{}",
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            container.host_port.unwrap_or(publish.host)
        ),
        None => format!("http://{}:{}", container_ip(stack, container)?, http.port),
    };
    Some(
        http.paths
            .iter()
            .map(|path| format!("{base}{path}"))
            .collect(),
    )
}

/// The container's address on the stack's network.
///
/// The host reaches container addresses on a local engine; a remote engine will need a tunnel
/// here (not built yet: only local engines are supported).
fn container_ip(stack: &Stack, container: &ContainerInfo) -> Option<IpAddr> {
    container.ips.get(&stack.network()).copied()
}
