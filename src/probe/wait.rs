//! Waiting for readiness: retry a check until it passes, gives up, or the deadline passes.

use std::future::Future;
use std::time::{Duration, Instant};

/// The outcome of one readiness check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Ready,
    /// Not ready yet; worth trying again. The reason is kept as the last error.
    NotYet(String),
    /// It will never be ready (the container exited, say): stop waiting now.
    GaveUp(String),
}

/// Why a wait ended without readiness.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not ready after {:.1}s and {attempts} checks: {}", waited.as_secs_f64(),
    last_error.as_deref().unwrap_or("no check finished"))]
pub struct NotReady {
    pub waited: Duration,
    pub attempts: u32,
    /// The reason the last check gave; `None` when no check finished before the deadline.
    pub last_error: Option<String>,
    /// True when a check gave up rather than the deadline passing.
    pub gave_up: bool,
}

/// Runs `check` every `interval` until it is ready, gives up, or `timeout` has passed.
///
/// A check still running at the deadline is cut short. Returns the time it took.
pub async fn wait_ready<F, Fut>(
    timeout: Duration,
    interval: Duration,
    mut check: F,
) -> Result<Duration, NotReady>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Attempt>,
{
    let started = Instant::now();
    let deadline = started + timeout;
    let mut attempts = 0;
    let mut last_error = None;

    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let outcome = tokio::time::timeout(left, check()).await;
        attempts += 1;
        match outcome {
            Ok(Attempt::Ready) => return Ok(started.elapsed()),
            Ok(Attempt::NotYet(reason)) => last_error = Some(reason),
            Ok(Attempt::GaveUp(reason)) => {
                return Err(NotReady {
                    waited: started.elapsed(),
                    attempts,
                    last_error: Some(reason),
                    gave_up: true,
                });
            }
            Err(_) => {}
        }

        if Instant::now() + interval >= deadline {
            return Err(NotReady {
                waited: started.elapsed(),
                attempts,
                last_error,
                gave_up: false,
            });
        }
        tokio::time::sleep(interval).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    const TICK: Duration = Duration::from_millis(10);

    #[tokio::test]
    async fn wait_returns_once_a_check_passes() {
        let calls = AtomicU32::new(0);

        let result = wait_ready(Duration::from_secs(5), TICK, || async {
            if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                Attempt::NotYet("refused".into())
            } else {
                Attempt::Ready
            }
        })
        .await;

        assert!(result.is_ok());
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn wait_past_the_deadline_keeps_the_last_error() {
        let calls = AtomicU32::new(0);

        let err = wait_ready(Duration::from_millis(100), TICK, || async {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            Attempt::NotYet(format!("refused #{n}"))
        })
        .await
        .unwrap_err();

        let last = calls.load(Ordering::SeqCst) - 1;
        assert_eq!(err.last_error, Some(format!("refused #{last}")));
        assert!(!err.gave_up);
        assert!(err.waited >= Duration::from_millis(80), "{:?}", err.waited);
        assert!(
            err.to_string().contains(&format!("refused #{last}")),
            "{err}"
        );
    }

    #[tokio::test]
    async fn wait_stops_at_once_when_a_check_gives_up() {
        let started = Instant::now();

        let err = wait_ready(Duration::from_secs(30), TICK, || async {
            Attempt::GaveUp("container exited with code 1".into())
        })
        .await
        .unwrap_err();

        assert!(err.gave_up);
        assert_eq!(err.attempts, 1);
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[tokio::test]
    async fn wait_cuts_short_a_check_that_hangs_past_the_deadline() {
        let started = Instant::now();

        let err = wait_ready(Duration::from_millis(100), TICK, || async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Attempt::Ready
        })
        .await
        .unwrap_err();

        assert_eq!(err.last_error, None);
        assert!(err.to_string().contains("no check finished"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}
