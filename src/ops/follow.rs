//! Following one service's output across container restarts and recreation: the CLI's
//! `capstan logs -f` and the dashboard's log watcher both read this one stream.
//!
//! Driven by the engine: when a container's log stream ends the follower waits for the next
//! container event of the stack (no polling), then attaches to whatever runs. A log is never
//! read whole: a restarted container's log is read again from its last [`RESUME_TAIL`] lines
//! with every line up to the last one seen skipped by timestamp, so no line is lost or repeated
//! across a `docker restart` (unless more than that many were logged while nobody followed). A
//! new container is read from its last [`RESUME_TAIL`] lines too: when the follower attaches
//! at its start, that is all of it. Must not import `tui` or `cli`.

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

/// Batches buffered between the follower and a slow reader (a CLI writing to a pipe); the
/// follower waits when the reader falls this far behind.
const BUFFER_BATCHES: usize = 64;
/// The most lines one batch holds.
pub const BATCH_LINES: usize = 512;
/// The longest a line waits for others to join its batch.
pub const BATCH_WAIT: Duration = Duration::from_millis(5);
/// How many lines the follower reads back when it comes (back) to a container it was not
/// attached to.
pub const RESUME_TAIL: u64 = 10_000;
/// The pause before looking again when the engine's event stream broke.
const RETRY: Duration = Duration::from_secs(1);

/// The output of `service`'s running container: the last `tail` lines (all with `None`), then
/// every new line of this and every later container of the service, until dropped.
pub fn follow(
    stack: Arc<Stack>,
    service: String,
    tail: Option<u64>,
) -> BoxStream<'static, LogLine> {
    follow_batches(stack, service, tail)
        .flat_map(futures::stream::iter)
        .boxed()
}

/// Like [`follow`], in batches of what arrived within [`BATCH_WAIT`] (at most [`BATCH_LINES`]).
///
/// On tokio's multi-thread runtime every item crossing between tasks can wake another thread;
/// batching keeps a busy service to one crossing per few hundred lines (see
/// docs/benchmarks.md).
pub fn follow_batches(
    stack: Arc<Stack>,
    service: String,
    tail: Option<u64>,
) -> BoxStream<'static, Vec<LogLine>> {
    let (tx, mut rx) = mpsc::channel(BUFFER_BATCHES);
    let task = AbortOnDrop(tokio::spawn(run(stack, service, tail, tx)));
    futures::stream::poll_fn(move |cx| {
        // The task lives as long as the stream.
        let _task = &task;
        rx.poll_recv(cx)
    })
    .boxed()
}

/// Groups `lines` into batches: a batch starts with the next line and takes whatever follows
/// within `max_wait`, up to `max_lines`.
pub fn batched(
    lines: BoxStream<'static, LogLine>,
    max_lines: usize,
    max_wait: Duration,
) -> BoxStream<'static, Vec<LogLine>> {
    futures::stream::unfold(Some(lines), move |state| async move {
        let mut lines = state?;
        let first = lines.next().await?;
        let mut batch = vec![first];
        let deadline = tokio::time::Instant::now() + max_wait;
        let mut ended = false;
        while batch.len() < max_lines {
            match tokio::time::timeout_at(deadline, lines.next()).await {
                Ok(Some(line)) => batch.push(line),
                Ok(None) => {
                    ended = true;
                    break;
                }
                Err(_) => break,
            }
        }
        Some((batch, (!ended).then_some(lines)))
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

async fn run(
    stack: Arc<Stack>,
    service: String,
    tail: Option<u64>,
    tx: mpsc::Sender<Vec<LogLine>>,
) {
    let mut seen: Option<Seen> = None;
    loop {
        // Subscribe before looking, so a container starting in between still wakes us.
        let mut events = Box::pin(stack.engine.events(stack.name()));

        let container = running(&stack, &service).await;
        if container.is_none() && seen.is_none() {
            // Nothing runs yet: show the stopped container's last lines while waiting.
            if let Some(stopped) = newest(&stack, &service).await {
                let lines = container_lines(&stack.engine, &stopped.id, &service, tail, false);
                let batch: Vec<LogLine> = lines.collect().await;
                let last = batch.iter().rev().find_map(|line| line.timestamp);
                if !batch.is_empty() && tx.send(batch).await.is_err() {
                    return;
                }
                seen = Some(Seen {
                    container: stopped.id,
                    last,
                });
            }
        }
        if let Some(container) = container {
            let (tail, after) = match &seen {
                None => (tail, None),
                Some(seen) if seen.container == container.id => (Some(RESUME_TAIL), seen.last),
                Some(_) => (Some(RESUME_TAIL), None),
            };
            let mut last = after;
            let lines = container_lines(&stack.engine, &container.id, &service, tail, true);
            let mut batches = batched(lines, BATCH_LINES, BATCH_WAIT);
            while let Some(mut batch) = batches.next().await {
                if let Some(after) = after {
                    batch.retain(|line| line.timestamp.is_none_or(|at| at > after));
                }
                last = batch.iter().rev().find_map(|line| line.timestamp).or(last);
                if batch.is_empty() {
                    continue;
                }
                if tx.send(batch).await.is_err() {
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

/// The newest container of `service`, running or not.
async fn newest(stack: &Stack, service: &str) -> Option<ContainerInfo> {
    let containers = stack.containers_of(service).await.ok()?;
    containers.into_iter().next()
}

/// The newest running container of `service`.
async fn running(stack: &Stack, service: &str) -> Option<ContainerInfo> {
    let containers = stack.containers_of(service).await.ok()?;
    containers.into_iter().find(|c| c.running)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> LogLine {
        LogLine {
            service: "api".to_string(),
            timestamp: None,
            stream: LogStream::Stdout,
            bytes: text.as_bytes().to_vec(),
        }
    }

    fn texts(batch: &[LogLine]) -> Vec<String> {
        batch
            .iter()
            .map(|l| String::from_utf8_lossy(&l.bytes).into_owned())
            .collect()
    }

    #[tokio::test]
    async fn batched_groups_lines_that_arrive_together_and_splits_at_a_pause_and_at_the_cap() {
        // Three lines at once, a pause longer than the wait, then two more; the cap is 2.
        let (tx, rx) = mpsc::unbounded_channel();
        for text in ["a", "b", "c"] {
            tx.send(line(text)).expect("the receiver is open");
        }
        let late = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            for text in ["d", "e"] {
                tx.send(line(text)).expect("the receiver is open");
            }
        });
        let lines = futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|line| (line, rx))
        })
        .boxed();

        let batches: Vec<Vec<String>> = batched(lines, 2, Duration::from_millis(5))
            .map(|batch| texts(&batch))
            .collect()
            .await;
        late.await.expect("the sender finishes");

        assert_eq!(batches, [vec!["a", "b"], vec!["c"], vec!["d", "e"]]);
    }
}
