//! The loop: every source (terminal input, the slow tick, `ops` events) feeds one channel of
//! [`Msg`]; the loop applies each to the [`App`], hands actions to the runner, and redraws when
//! state changed, at most ~30 times a second. Owns no state of its own.

use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use crossterm::event::{Event as TermEvent, EventStream};
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::action::Action;
use super::app::{App, Msg};
use super::views;
use crate::ops::Event;

/// The shortest time between two frames (~30 frames a second).
const FRAME: Duration = Duration::from_millis(33);
/// The slow tick: uptimes move on even when nothing else happens.
const TICK: Duration = Duration::from_secs(1);

/// The tasks that feed the loop; dropping this stops them.
pub struct Sources {
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Sources {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Starts the sources of messages: the terminal, the slow tick, and the `ops` events.
pub fn spawn_sources(tx: UnboundedSender<Msg>, mut ops: UnboundedReceiver<Event>) -> Sources {
    let terminal = {
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut stream = EventStream::new();
            while let Some(event) = stream.next().await {
                let msg = match event {
                    Ok(TermEvent::Key(key)) => Msg::Key(key),
                    Ok(TermEvent::Mouse(mouse)) => Msg::Mouse(mouse),
                    Ok(TermEvent::Resize(width, height)) => Msg::Resize(width, height),
                    Ok(_) => continue,
                    Err(err) => {
                        tracing::error!("reading the terminal failed: {err}");
                        break;
                    }
                };
                if tx.send(msg).is_err() {
                    break;
                }
            }
        })
    };
    let tick = {
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(TICK);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                if tx.send(Msg::Tick(Utc::now())).is_err() {
                    break;
                }
            }
        })
    };
    let ops = tokio::spawn(async move {
        while let Some(event) = ops.recv().await {
            if tx.send(Msg::Ops(event)).is_err() {
                break;
            }
        }
    });

    Sources {
        tasks: vec![terminal, tick, ops],
    }
}

/// Runs the dashboard until the user quits or every source has gone; returns the number of
/// frames drawn.
///
/// Messages that arrive together are applied together and drawn once; `dispatch` receives each
/// action the user asks for (the runner, or a test's list).
pub async fn run_loop<B>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    mut rx: UnboundedReceiver<Msg>,
    mut dispatch: impl FnMut(Action),
) -> anyhow::Result<u64>
where
    B: Backend,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let mut frames = 0;
    let mut last_frame = Instant::now() - FRAME;
    let mut pending = true;

    loop {
        if pending && last_frame.elapsed() >= FRAME {
            terminal
                .draw(|frame| views::draw(app, frame))
                .context("failed to draw the dashboard")?;
            last_frame = Instant::now();
            pending = false;
            frames += 1;
            if frames == 1 {
                tracing::info!("first frame drawn");
            }
        }

        let msg = if pending {
            tokio::select! {
                msg = rx.recv() => msg,
                () = tokio::time::sleep_until(last_frame + FRAME) => continue,
            }
        } else {
            rx.recv().await
        };
        let Some(msg) = msg else {
            return Ok(frames);
        };

        apply(app, msg, &mut dispatch);
        while let Ok(msg) = rx.try_recv() {
            apply(app, msg, &mut dispatch);
            if app.should_quit() {
                break;
            }
        }
        if app.should_quit() {
            return Ok(frames);
        }
        pending |= app.take_dirty();
    }
}

fn apply(app: &mut App, msg: Msg, dispatch: &mut impl FnMut(Action)) {
    if let Some(action) = app.update(msg) {
        dispatch(action);
    }
}

/// A channel for messages, for callers that feed the loop themselves.
pub fn channel() -> (UnboundedSender<Msg>, UnboundedReceiver<Msg>) {
    mpsc::unbounded_channel()
}
