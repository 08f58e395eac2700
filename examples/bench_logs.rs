//! Headless benchmark of Capstan's log path, run by `scripts/bench-logs`.
//!
//! Follows one container's logs with Capstan's own follower (`ops::container_lines` over the
//! engine module), batches lines into `ops::Event::Logs` exactly as the dashboard's log watcher
//! does, hands every event to the real dashboard `tui::App` (merged log view, default budgets)
//! and draws the whole dashboard into ratatui's `TestBackend` whenever the app says its state
//! changed, at most ~30 times a second, on tokio's multi-thread runtime like the binary. At the
//! end it times searches over the full buffer. Prints `key=value` lines for the script.
//!
//! Usage: `bench_logs --container NAME --duration SECS [--current-thread]`
//! (`--current-thread` runs everything on one thread instead, for comparison.)

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use capstan::engine::Engine;
use capstan::logs::{Budget, LogStore, Matches, Query, Scope, Syntax};
use capstan::ops::{self, Event, EventSender, Health, ServiceView};
use capstan::tui::{self, App, Keymap, Msg, Options, Theme};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use futures::StreamExt as _;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const FRAME: Duration = Duration::from_millis(33);

fn main() -> anyhow::Result<()> {
    let started = Instant::now();
    let (container, duration, current_thread) = parse_args()?;
    let runtime = if current_thread {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Runtime::new()?
    };
    println!(
        "runtime={}",
        if current_thread {
            "current_thread"
        } else {
            "multi_thread"
        }
    );
    runtime.block_on(bench(started, container, duration))
}

async fn bench(started: Instant, container: String, duration: Duration) -> anyhow::Result<()> {
    let cpu_start = cpu_seconds()?;

    let engine = Engine::connect()
        .await
        .context("failed to reach the docker engine")?;
    let (events, mut incoming) = EventSender::channel();
    tokio::spawn(follow(engine, container.clone(), events));

    let mut app = dashboard(&container);
    let mut terminal = Terminal::new(TestBackend::new(160, 48))?;
    draw(&mut terminal, &app)?;
    let first_frame = started.elapsed();

    // The dashboard's loop: take events as they come, redraw when something changed, at most
    // one frame per FRAME.
    let follow_started = Instant::now();
    let deadline = tokio::time::sleep(duration);
    tokio::pin!(deadline);
    let mut tick = tokio::time::interval(FRAME);
    let (mut lines, mut frames, mut dirty) = (0u64, 0u64, false);
    let mut frame_time = Duration::ZERO;
    let mut rss_samples = Vec::new();
    let mut next_sample = Instant::now();
    loop {
        tokio::select! {
            _ = &mut deadline => break,
            event = incoming.recv() => {
                let Some(event) = event else { break };
                // Take what is queued in one go, as a renderer does between frames.
                let mut next = Some(event);
                let mut taken = 0;
                while let Some(event) = next.take() {
                    match &event {
                        Event::Logs(batch) => lines += batch.len() as u64,
                        Event::Warning(warning) => eprintln!("warning: {warning}"),
                        _ => {}
                    }
                    app.update(Msg::Ops(event));
                    dirty |= app.take_dirty();
                    taken += 1;
                    if taken < 4096 {
                        next = incoming.try_recv().ok();
                    }
                }
            }
            _ = tick.tick() => {
                if dirty {
                    let t = Instant::now();
                    draw(&mut terminal, &app)?;
                    frame_time += t.elapsed();
                    frames += 1;
                    dirty = false;
                }
                if Instant::now() >= next_sample {
                    rss_samples.push(status_kib("VmRSS:")?);
                    next_sample += Duration::from_secs(1);
                }
            }
        }
    }
    let followed = follow_started.elapsed();
    let cpu = cpu_seconds()? - cpu_start;
    let store = app.logs();

    println!("first_frame_ms={:.1}", first_frame.as_secs_f64() * 1e3);
    println!("seconds={:.1}", followed.as_secs_f64());
    println!("lines={lines}");
    println!(
        "lines_per_second={:.0}",
        lines as f64 / followed.as_secs_f64()
    );
    println!("frames={frames}");
    println!("frame_ms_mean={:.2}", mean_ms(frame_time, frames));
    println!(
        "cpu_percent_of_one_core={:.1}",
        cpu / followed.as_secs_f64() * 100.0
    );
    println!("kept_lines={}", store.len(Scope::All));
    println!("store_mib={:.1}", store.memory_bytes() as f64 / 1048576.0);
    println!("rss_mib_samples={}", samples(&rss_samples));
    println!("peak_rss_mib={:.1}", status_kib("VmHWM:")? as f64 / 1024.0);

    search_times(store)?;
    Ok(())
}

fn parse_args() -> anyhow::Result<(String, Duration, bool)> {
    let mut container = None;
    let mut current_thread = false;
    let mut duration = Duration::from_secs(60);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--container" => container = args.next(),
            "--current-thread" => current_thread = true,
            "--duration" => {
                let secs = args
                    .next()
                    .context("--duration needs a number of seconds")?;
                let secs: u64 = secs
                    .parse()
                    .with_context(|| format!("bad --duration {secs}"))?;
                duration = Duration::from_secs(secs);
            }
            other => bail!("unknown argument {other}; usage: --container NAME --duration SECS"),
        }
    }
    let container = container.context("--container NAME is required")?;
    Ok((container, duration, current_thread))
}

/// Follows the container from now on with Capstan's follower and sends each batch (what arrived
/// within a few milliseconds) as one event, as the dashboard's log watcher does.
async fn follow(engine: Engine, container: String, events: EventSender) {
    let lines = ops::container_lines(&engine, &container, &container, Some(0), true);
    let mut batches = ops::batched(lines, ops::BATCH_LINES, ops::BATCH_WAIT);
    while let Some(lines) = batches.next().await {
        events.send(Event::Logs(lines));
    }
    events.send(Event::Warning(format!("log stream of {container} ended")));
}

/// The real dashboard showing one service (the container) with the log pane focused on the
/// merged view of all services.
fn dashboard(container: &str) -> App {
    let mut app = App::new(Options {
        project: "bench".to_string(),
        read_only: true,
        theme: Theme::default(),
        keymap: Keymap::default(),
        budget: Budget::default(),
        log_total_bytes: capstan::logs::DEFAULT_TOTAL_BYTES,
        now: chrono::Utc::now(),
    });
    app.update(Msg::Ops(Event::Services(vec![ServiceView {
        name: container.to_string(),
        state: "running".to_string(),
        health: Health::Healthy,
        started_at: None,
        image: "debian:bookworm-slim".to_string(),
        port: None,
        container_id: Some(container.to_string()),
    }])));
    for key in ['l', 'm'] {
        app.update(Msg::Key(KeyEvent::new(
            KeyCode::Char(key),
            KeyModifiers::NONE,
        )));
    }
    app
}

/// Draws the whole dashboard as the binary does.
fn draw(terminal: &mut Terminal<TestBackend>, app: &App) -> anyhow::Result<()> {
    terminal.draw(|frame| tui::draw(app, frame))?;
    Ok(())
}

/// Times searches over everything the store holds, each the best of five runs.
fn search_times(store: &LogStore) -> anyhow::Result<()> {
    let queries = [
        ("plain_common", Query::plain("people")?),
        ("plain_absent", Query::plain("no such text")?),
        ("plain_level", Query::plain("error")?),
        (
            "regex",
            Query::new(r"status=5\d\d|latency_ms=9\d", Syntax::Regex, false)?,
        ),
    ];
    println!("search_lines={}", store.len(Scope::All));
    for (name, query) in queries {
        let mut best = Duration::MAX;
        let mut found = 0;
        for _ in 0..5 {
            let t = Instant::now();
            let matches = Matches::new(store, Scope::All, query.clone());
            best = best.min(t.elapsed());
            found = matches.len();
        }
        println!(
            "search_{name}_ms={:.1} search_{name}_matches={found}",
            best.as_secs_f64() * 1e3
        );
    }
    Ok(())
}

fn mean_ms(total: Duration, count: u64) -> f64 {
    if count == 0 {
        return 0.0;
    }
    total.as_secs_f64() * 1e3 / count as f64
}

fn samples(kib: &[u64]) -> String {
    let mib: Vec<String> = kib
        .iter()
        .map(|k| format!("{:.0}", *k as f64 / 1024.0))
        .collect();
    mib.join(",")
}

/// User plus system CPU time of this process, from /proc (Linux only, like the benchmark).
fn cpu_seconds() -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").context("failed to read /proc")?;
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of stat(5), 11 and 12 after the name.
    Ok((ticks(11) + ticks(12)) / 100.0)
}

/// A `VmRSS:`-style line of /proc/self/status, in KiB.
fn status_kib(key: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status").context("failed to read /proc")?;
    let line = status.lines().find(|l| l.starts_with(key));
    let value = line
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok());
    value.with_context(|| format!("no {key} in /proc/self/status"))
}
