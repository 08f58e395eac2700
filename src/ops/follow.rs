//! Following one service's output across container restarts and recreation: the CLI's
//! `capstan logs -f` and the dashboard's log watcher both read this one stream.
//!
//! Driven by the engine: when a container's log stream ends the follower waits for the next
//! container event of the stack (no polling), then attaches to whatever runs. A restarted
//! container's log is read again from the start with every line up to the last one seen
//! skipped by timestamp, so no line is lost or repeated across a `docker restart`. Must not
//! import `tui` or `cli`.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::stream::BoxStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{LogLine, LogStream};
use crate::engine::{ContainerInfo, Engine};
use crate::stack::Stack;

/// Lines buffered between the follower and a slow reader (a CLI writing to a pipe); the
/// follower waits when the reader falls this far behind.
const BUFFER_LINES: usize = 4096;
/// The pause before looking again when the engine's event stream broke.
const RETRY: Duration = Duration::from_secs(1);

/// The output of `service`'s running container: the last `tail` lines (all with `None`), then
/// every new line of this and every later container of the service, until dropped.
pub fn follow(
    stack: Arc<Stack>,
    service: String,
    tail: Option<u64>,
) -> BoxStream<'static, LogLine> {
    let (tx, mut rx) = mpsc::channel(BUFFER_LINES);
    let task = AbortOnDrop(tokio::spawn(run(stack, service, tail, tx)));
    futures::stream::poll_fn(move |cx| {
        // The task lives as long as the stream.
        let _task = &task;
        rx.poll_recv(cx)
    })
    .boxed()
}

struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Where the follower got to in a container's log.
struct Seen {
    container: String,
    last: Option<DateTime<Utc>>,
}

async fn run(stack: Arc<Stack>, service: String, tail: Option<u64>, tx: mpsc::Sender<LogLine>) {
    let mut seen: Option<Seen> = None;
    loop {
        // Subscribe before looking, so a container starting in between still wakes us.
        let mut events = Box::pin(stack.engine.events(stack.name()));

        if let Some(container) = running(&stack, &service).await {
            let (tail, after) = match &seen {
                None => (tail, None),
                Some(seen) if seen.container == container.id => (None, seen.last),
                Some(_) => (None, None),
            };
            let mut last = after;
            let mut lines = container_lines(&stack.engine, &container.id, &service, tail, true);
            while let Some(line) = lines.next().await {
                if let (Some(after), Some(at)) = (after, line.timestamp) {
                    if at <= after {
                        continue;
                    }
                }
                last = line.timestamp.or(last);
                if tx.send(line).await.is_err() {
                    return;
                }
            }
            seen = Some(Seen {
                container: container.id.clone(),
                last,
            });
            // The stream ended: the container stopped, or a restart already brought it (or a
            // replacement) back. Look again before waiting.
            if running(&stack, &service)
                .await
                .is_some_and(|now| now.id != container.id || now.started_at != container.started_at)
            {
                continue;
            }
        }

        // Wait for any container event of the service (or a broken event stream).
        loop {
            match events.next().await {
                Some(Ok(event)) if event.service.as_deref() == Some(service.as_str()) => break,
                Some(Ok(_)) => {}
                Some(Err(_)) | None => {
                    tokio::time::sleep(RETRY).await;
                    break;
                }
            }
        }
        if tx.is_closed() {
            return;
        }
    }
}

/// One container's output as lines of `service`: the last `tail` lines (all with `None`), then
/// with `follow` new lines until the container stops. Ends at the first engine error.
pub fn container_lines(
    engine: &Engine,
    container: &str,
    service: &str,
    tail: Option<u64>,
    follow: bool,
) -> BoxStream<'static, LogLine> {
    let service = service.to_string();
    engine
        .logs(container, tail, follow)
        .take_while(|item| std::future::ready(item.is_ok()))
        .filter_map(move |item| {
            let line = item.ok().map(|chunk| LogLine {
                service: service.clone(),
                timestamp: chunk.timestamp,
                stream: if chunk.stderr {
                    LogStream::Stderr
                } else {
                    LogStream::Stdout
                },
                bytes: chunk.bytes,
            });
            std::future::ready(line)
        })
        .boxed()
}

/// The newest running container of `service`.
async fn running(stack: &Stack, service: &str) -> Option<ContainerInfo> {
    let containers = stack.containers_of(service).await.ok()?;
    containers.into_iter().find(|c| c.running)
}
