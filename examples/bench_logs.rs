//! Headless benchmark of Capstan's log path, run by `scripts/bench-logs`.
//!
//! Follows one container's logs through the Docker Engine API (bollard), sends every line as an
//! `ops::Event::Log` over the event channel like the dashboard's watchers do, files them in a
//! `logs::LogStore` with default budgets, and draws a log view frame into ratatui's
//! `TestBackend` at most ~30 times a second while lines keep coming. At the end it times
//! searches over the full buffer. Prints `key=value` lines for the script.
//!
//! Usage: `bench_logs --container NAME --duration SECS`
//!
//! The follower here is a minimal one of its own (bollard, `tail=0`, timestamps on) because the
//! engine module's follower is built on another branch; it should be swapped for
//! `engine`'s once that is merged, so the figures include its cost.

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use bollard::Docker;
use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptionsBuilder;
use capstan::logs::{Budget, LogStore, Matches, Query, RenderOptions, Scope, Syntax, render};
use capstan::ops::{Event, EventSender, LogLine, LogStream};
use futures::StreamExt as _;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

const FRAME: Duration = Duration::from_millis(33);

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let started = Instant::now();
    let (container, duration) = parse_args()?;
    let cpu_start = cpu_seconds()?;

    let docker = Docker::connect_with_local_defaults()
        .context("failed to reach the docker engine")?
        .negotiate_version()
        .await
        .context("failed to negotiate the engine api version")?;
    let (events, mut incoming) = EventSender::channel();
    let service = container.clone();
    tokio::spawn(follow(docker, service, events));

    let mut store = LogStore::new(Budget::default());
    let mut terminal = Terminal::new(TestBackend::new(160, 48))?;
    draw(&mut terminal, &store)?;
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
                    match event {
                        Event::Log(line) => {
                            store.push(line);
                            lines += 1;
                            dirty = true;
                        }
                        Event::Warning(warning) => eprintln!("warning: {warning}"),
                        _ => {}
                    }
                    taken += 1;
                    if taken < 4096 {
                        next = incoming.try_recv().ok();
                    }
                }
            }
            _ = tick.tick() => {
                if dirty {
                    let t = Instant::now();
                    draw(&mut terminal, &store)?;
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

    search_times(&store)?;
    Ok(())
}

fn parse_args() -> anyhow::Result<(String, Duration)> {
    let mut container = None;
    let mut duration = Duration::from_secs(60);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--container" => container = args.next(),
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
    Ok((container, duration))
}

/// Follows the container from now on and sends each line as an event.
async fn follow(docker: Docker, container: String, events: EventSender) {
    let options = LogsOptionsBuilder::new()
        .follow(true)
        .stdout(true)
        .stderr(true)
        .timestamps(true)
        .tail("0")
        .build();
    let mut stream = docker.logs(&container, Some(options));

    while let Some(item) = stream.next().await {
        let (stream_kind, message) = match item {
            Ok(LogOutput::StdOut { message }) => (LogStream::Stdout, message),
            Ok(LogOutput::StdErr { message }) => (LogStream::Stderr, message),
            Ok(_) => continue,
            Err(error) => {
                events.send(Event::Warning(format!(
                    "log stream of {container} ended: {error}"
                )));
                return;
            }
        };
        for raw in message.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            events.send(Event::Log(parse_line(&container, stream_kind, raw)));
        }
    }
}

/// Splits the engine's RFC 3339 timestamp from the line.
fn parse_line(service: &str, stream: LogStream, raw: &[u8]) -> LogLine {
    let space = raw.iter().position(|&b| b == b' ');
    let stamp = space
        .and_then(|at| std::str::from_utf8(&raw[..at]).ok())
        .and_then(|text| chrono::DateTime::parse_from_rfc3339(text).ok());
    let (timestamp, bytes) = match (stamp, space) {
        (Some(stamp), Some(at)) => (Some(stamp.to_utc()), raw[at + 1..].to_vec()),
        _ => (None, raw.to_vec()),
    };
    LogLine {
        service: service.to_string(),
        timestamp,
        stream,
        bytes,
    }
}

/// Draws the newest lines of the merged view the way a log pane does.
fn draw(terminal: &mut Terminal<TestBackend>, store: &LogStore) -> anyhow::Result<()> {
    terminal.draw(|frame| {
        let area = frame.area();
        let height = usize::from(area.height.saturating_sub(2));
        let width = usize::from(area.width.saturating_sub(2));
        let len = store.len(Scope::All);
        let options = RenderOptions {
            max_columns: width.saturating_sub(12),
            ..RenderOptions::default()
        };
        let lines: Vec<Line> = store
            .lines(Scope::All, len.saturating_sub(height)..len)
            .map(|line| {
                let name = store.service_name(line.service).unwrap_or("?");
                let mut shown = render(&line.line.bytes, &options);
                shown.spans.insert(0, Span::raw(format!("{name:>10} ")));
                shown
            })
            .collect();
        let title = format!(" logs: {len} lines ");
        frame.render_widget(
            Paragraph::new(lines).block(Block::bordered().title(title)),
            area,
        );
    })?;
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
