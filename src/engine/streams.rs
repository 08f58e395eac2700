//! Streams from the engine: container logs, container events of a stack, resource stats.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use bollard::query_parameters::{EventsOptions, LogsOptions, StatsOptions};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt, stream};

use super::log_lines::{LineJoiner, to_piece};
use super::{Engine, EngineError, SERVICE_LABEL, STACK_LABEL};

/// One line of container output, with the engine's timestamp (that of the line's first piece).
///
/// A line longer than [`MAX_LINE_BYTES`](crate::logs::MAX_LINE_BYTES) comes as several chunks
/// of at most that size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogChunk {
    pub stderr: bool,
    pub timestamp: Option<DateTime<Utc>>,
    pub bytes: Vec<u8>,
}

/// Something happened to a container of the stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineEvent {
    /// The engine's action: create, start, die, stop, destroy, health_status, ...
    pub action: String,
    pub container_id: String,
    pub service: Option<String>,
}

/// One reading of a container's resource use.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsReading {
    pub cpu_percent: f64,
    pub memory_bytes: u64,
    pub memory_limit_bytes: u64,
    pub net_rx_bytes: u64,
    pub net_tx_bytes: u64,
    pub block_read_bytes: u64,
    pub block_write_bytes: u64,
}

impl Engine {
    /// A container's output: the last `tail` lines, then new ones while `follow`.
    ///
    /// Lines the engine sent in pieces (Docker cuts lines at 16 KiB) come joined; `tail` counts
    /// the engine's pieces, so the oldest line may come without its beginning. The stream ends
    /// when the container stops (or at once without `follow`).
    pub fn logs(
        &self,
        id: &str,
        tail: Option<u64>,
        follow: bool,
    ) -> impl Stream<Item = Result<LogChunk, EngineError>> + Send + 'static {
        let options = LogsOptions {
            follow,
            stdout: true,
            stderr: true,
            timestamps: true,
            tail: tail
                .map(|n| n.to_string())
                .unwrap_or_else(|| "all".to_string()),
            ..Default::default()
        };
        let what = format!("logs of container {id}");
        let mut joiner = LineJoiner::default();
        // `None` marks the end of the engine's stream, where unfinished lines are given back.
        self.docker
            .logs(id, Some(options))
            .map(Some)
            .chain(stream::iter([None]))
            .flat_map(move |item| {
                let mut out: Vec<Result<LogChunk, EngineError>> = Vec::new();
                match item {
                    Some(Ok(output)) => {
                        out.extend(joiner.push(to_piece(output)).into_iter().map(Ok))
                    }
                    Some(Err(source)) => {
                        out.extend(joiner.finish().into_iter().map(Ok));
                        out.push(Err(EngineError::Api {
                            what: what.clone(),
                            source,
                        }));
                    }
                    None => out.extend(joiner.finish().into_iter().map(Ok)),
                }
                stream::iter(out)
            })
    }

    /// Container events of the stack from the moment this is called, including those that
    /// happen before the stream is first polled.
    ///
    /// The engine is only asked when the stream is first polled, so the request carries this
    /// moment as `since` and the engine replays what it saw in between: a caller can subscribe,
    /// look at the containers, and then wait without missing a `start` (a real race: the
    /// dashboard missed a new db container's start and showed no db logs). The engine is
    /// local, so both clocks are the same.
    pub fn events(
        &self,
        stack: &str,
    ) -> impl Stream<Item = Result<EngineEvent, EngineError>> + Send + 'static {
        let filters = HashMap::from([
            ("type".to_string(), vec!["container".to_string()]),
            ("label".to_string(), vec![format!("{STACK_LABEL}={stack}")]),
        ]);
        let options = EventsOptions {
            since: Some(engine_time(SystemTime::now())),
            filters: Some(filters),
            ..Default::default()
        };
        self.docker
            .events(Some(options))
            .filter_map(|item| async move {
                match item {
                    Ok(message) => {
                        let actor = message.actor.unwrap_or_default();
                        let attributes = actor.attributes.unwrap_or_default();
                        Some(Ok(EngineEvent {
                            action: message.action.unwrap_or_default(),
                            container_id: actor.id.unwrap_or_default(),
                            service: attributes.get(SERVICE_LABEL).cloned(),
                        }))
                    }
                    Err(source) => Some(Err(EngineError::Api {
                        what: "engine events".to_string(),
                        source,
                    })),
                }
            })
    }

    /// A container's resource use, about once a second, until it stops.
    pub fn stats(
        &self,
        id: &str,
    ) -> impl Stream<Item = Result<StatsReading, EngineError>> + Send + 'static {
        let options = StatsOptions {
            stream: true,
            one_shot: false,
        };
        let what = format!("stats of container {id}");
        self.docker
            .stats(id, Some(options))
            .map(move |item| match item {
                Ok(stats) => Ok(reading(stats)),
                Err(source) => Err(EngineError::Api {
                    what: what.clone(),
                    source,
                }),
            })
    }
}

/// `at` as the engine's API writes times in filters: seconds since the epoch, with nanoseconds.
fn engine_time(at: SystemTime) -> String {
    let since_epoch = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    format!(
        "{}.{:09}",
        since_epoch.as_secs(),
        since_epoch.subsec_nanos()
    )
}

fn reading(stats: bollard::models::ContainerStatsResponse) -> StatsReading {
    let cpu = stats.cpu_stats.unwrap_or_default();
    let precpu = stats.precpu_stats.unwrap_or_default();
    let total = |c: &bollard::models::ContainerCpuStats| {
        c.cpu_usage
            .as_ref()
            .and_then(|u| u.total_usage)
            .unwrap_or(0)
    };
    let cpu_delta = total(&cpu).saturating_sub(total(&precpu)) as f64;
    let system_delta = cpu
        .system_cpu_usage
        .unwrap_or(0)
        .saturating_sub(precpu.system_cpu_usage.unwrap_or(0));
    let cpus = cpu.online_cpus.unwrap_or(1).max(1) as f64;
    let cpu_percent = if system_delta > 0 {
        cpu_delta / system_delta as f64 * cpus * 100.0
    } else {
        0.0
    };

    let memory = stats.memory_stats.unwrap_or_default();
    // Like `docker stats`: usage minus the page cache the kernel can drop.
    let cache = memory
        .stats
        .as_ref()
        .and_then(|s| {
            s.get("inactive_file")
                .or_else(|| s.get("total_inactive_file"))
                .copied()
        })
        .unwrap_or(0);
    let networks = stats.networks.unwrap_or_default();
    let blkio = stats
        .blkio_stats
        .unwrap_or_default()
        .io_service_bytes_recursive
        .unwrap_or_default();
    let block = |op: &str| {
        blkio
            .iter()
            .filter(|e| e.op.as_deref().is_some_and(|o| o.eq_ignore_ascii_case(op)))
            .filter_map(|e| e.value)
            .sum()
    };

    StatsReading {
        cpu_percent,
        memory_bytes: memory.usage.unwrap_or(0).saturating_sub(cache),
        memory_limit_bytes: memory.limit.unwrap_or(0),
        net_rx_bytes: networks.values().filter_map(|n| n.rx_bytes).sum(),
        net_tx_bytes: networks.values().filter_map(|n| n.tx_bytes).sum(),
        block_read_bytes: block("read"),
        block_write_bytes: block("write"),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn engine_time_keeps_nanoseconds_with_leading_zeros() {
        let at = UNIX_EPOCH + Duration::new(1_700_000_000, 42);

        assert_eq!(engine_time(at), "1700000000.000000042");
    }
}
