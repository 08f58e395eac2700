//! `up`, `down`, `status`, `logs`, `redeploy`, `rollback`, `stop`: the stack from the command
//! line.
//!
//! Each runs the same `ops` job as the dashboard and renders its events as text lines with
//! timings.

use std::future::Future;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use futures::StreamExt;

use super::Global;
use crate::logs;
use crate::ops::{self, Context, Event, EventSender, Health, JobState, JobUpdate, LogStream};
use crate::stack::{self, Options};

#[derive(Debug, clap::Args)]
pub struct UpArgs {}

#[derive(Debug, clap::Args)]
pub struct DownArgs {
    /// Remove the data volume too.
    #[arg(long)]
    pub volumes: bool,
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {}

#[derive(Debug, clap::Args)]
pub struct LogsArgs {
    pub service: String,
    /// Keep printing new lines.
    #[arg(short, long)]
    pub follow: bool,
    /// How many of the last lines to start with.
    #[arg(long, default_value_t = 100)]
    pub tail: u64,
}

#[derive(Debug, clap::Args)]
pub struct RedeployArgs {
    pub service: String,
}

#[derive(Debug, clap::Args)]
pub struct RollbackArgs {
    pub service: String,
}

#[derive(Debug, clap::Args)]
pub struct StopArgs {
    pub service: String,
}

/// The stack options the global flags give.
pub fn options(global: &Global) -> Options {
    Options {
        stack_file: global.stack_file.clone(),
        project: global.project.clone(),
        port: global.port,
    }
}

async fn context(global: &Global) -> anyhow::Result<Context> {
    Context::load(&options(global)).await
}

fn refuse_if_read_only(global: &Global, what: &str) -> anyhow::Result<()> {
    if global.read_only {
        anyhow::bail!("--read-only: refusing to {what}");
    }
    Ok(())
}

pub async fn up(global: &Global, _args: UpArgs) -> anyhow::Result<ExitCode> {
    refuse_if_read_only(global, "bring the stack up")?;
    let ctx = context(global).await?;
    render(|events| async move { ops::up(&ctx, &events).await }).await
}

pub async fn down(global: &Global, args: DownArgs) -> anyhow::Result<ExitCode> {
    refuse_if_read_only(global, "take the stack down")?;
    let ctx = context(global).await?;
    render(|events| async move { ops::down(&ctx, args.volumes, &events).await }).await
}

pub async fn redeploy(global: &Global, args: RedeployArgs) -> anyhow::Result<ExitCode> {
    refuse_if_read_only(global, "redeploy")?;
    let ctx = context(global).await?;
    let (ctx, service) = (&ctx, args.service.as_str());
    render_or_restore(ctx, service, |events| async move {
        ops::redeploy(ctx, service, &events).await
    })
    .await
}

pub async fn rollback(global: &Global, args: RollbackArgs) -> anyhow::Result<ExitCode> {
    refuse_if_read_only(global, "roll back")?;
    let ctx = context(global).await?;
    let (ctx, service) = (&ctx, args.service.as_str());
    render_or_restore(ctx, service, |events| async move {
        ops::rollback(ctx, service, &events).await
    })
    .await
}

pub async fn stop(global: &Global, args: StopArgs) -> anyhow::Result<ExitCode> {
    refuse_if_read_only(global, "stop")?;
    let ctx = context(global).await?;
    render(|events| async move { ops::stop(&ctx, &args.service, &events).await }).await
}

pub async fn status(global: &Global, _args: StatusArgs) -> anyhow::Result<ExitCode> {
    let ctx = context(global).await?;
    let views = ops::status(&ctx).await?;

    if global.json {
        let rows: Vec<serde_json::Value> = views
            .iter()
            .map(|v| {
                let (health, reason) = match &v.health {
                    Health::Unknown => ("unknown", None),
                    Health::Starting => ("starting", None),
                    Health::Healthy => ("healthy", None),
                    Health::Unhealthy(reason) => ("unhealthy", Some(reason.clone())),
                };
                serde_json::json!({
                    "name": v.name,
                    "state": v.state,
                    "health": health,
                    "health_error": reason,
                    "started_at": v.started_at,
                    "image": v.image,
                    "port": v.port,
                    "container_id": v.container_id,
                })
            })
            .collect();
        let text = serde_json::to_string_pretty(&serde_json::json!({
            "stack": ctx.stack.name(),
            "services": rows,
        }))?;
        println!("{text}");
        return Ok(ExitCode::SUCCESS);
    }

    println!(
        "{:<10} {:<9} {:<10} {:<9} {:<6} IMAGE",
        "SERVICE", "STATE", "HEALTH", "UPTIME", "PORT"
    );
    let now = chrono::Utc::now();
    for v in &views {
        let health = match &v.health {
            Health::Unknown => "-".to_string(),
            Health::Starting => "starting".to_string(),
            Health::Healthy => "healthy".to_string(),
            Health::Unhealthy(_) => "unhealthy".to_string(),
        };
        let uptime = v
            .started_at
            .map_or_else(|| "-".into(), |at| human(now - at));
        let port = v.port.map_or_else(|| "-".into(), |p| p.to_string());
        println!(
            "{:<10} {:<9} {:<10} {:<9} {:<6} {}",
            v.name, v.state, health, uptime, port, v.image
        );
        if let Health::Unhealthy(reason) = &v.health {
            println!("{:<10} ! {reason}", "");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn logs(global: &Global, args: LogsArgs) -> anyhow::Result<ExitCode> {
    let ctx = context(global).await?;
    let mut stream = ops::log_stream(&ctx, &args.service, args.tail, args.follow).await?;

    if global.json {
        // One object per line on stdout, the line's bytes as text (invalid UTF-8 replaced).
        let mut stdout = std::io::stdout().lock();
        while let Some(line) = stream.next().await {
            let stream = match line.stream {
                LogStream::Stdout => "stdout",
                LogStream::Stderr => "stderr",
            };
            let object = serde_json::json!({
                "service": line.service,
                "stream": stream,
                "timestamp": line.timestamp,
                "line": String::from_utf8_lossy(&line.bytes),
            });
            writeln!(stdout, "{object}")?;
        }
        return Ok(ExitCode::SUCCESS);
    }

    let mut stdout = std::io::stdout();
    let mut stderr = std::io::stderr();
    let colors = std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty());
    let clean_stdout = stdout.is_terminal().then_some(colors);
    let clean_stderr = stderr.is_terminal().then_some(colors);
    while let Some(line) = stream.next().await {
        let (out, clean): (&mut dyn Write, _) = match line.stream {
            LogStream::Stdout => (&mut stdout, clean_stdout),
            LogStream::Stderr => (&mut stderr, clean_stderr),
        };
        write_log_line(out, &line.bytes, clean)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes one log line and its newline: cleaned for a terminal when `clean` says so (with
/// colours or without), else as the container wrote it.
fn write_log_line(out: &mut dyn Write, bytes: &[u8], clean: Option<bool>) -> std::io::Result<()> {
    match clean {
        Some(colors) => out.write_all(logs::terminal_text(bytes, colors).as_bytes())?,
        None => out.write_all(bytes)?,
    }
    out.write_all(b"\n")
}

/// Runs a job, printing its events as they come; its result decides the exit code.
async fn render<F, Fut>(job: F) -> anyhow::Result<ExitCode>
where
    F: FnOnce(EventSender) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let (events, mut receiver) = EventSender::channel();
    let printer = tokio::spawn(async move {
        while let Some(event) = receiver.recv().await {
            print_event(&event);
        }
    });

    let result = job(events).await;
    let _ = printer.await;
    result.map(|()| ExitCode::SUCCESS)
}

/// Like [`render`] for a job that replaces `service`'s container: Ctrl-C stops the job and puts
/// the service back as it was (the containers the job started go, those it stopped start
/// again), so an interrupted redeploy never leaves two versions serving. Exits with 130.
async fn render_or_restore<F, Fut>(ctx: &Context, service: &str, job: F) -> anyhow::Result<ExitCode>
where
    F: FnOnce(EventSender) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let before = stack::Before::take(&ctx.stack, service).await?;
    let interrupted = tokio::select! {
        result = render(job) => return result,
        signal = tokio::signal::ctrl_c() => signal.is_ok(),
    };
    if !interrupted {
        anyhow::bail!("failed to listen for Ctrl-C");
    }
    let first = std::time::Instant::now();

    eprintln!("capstan: interrupted; putting {service} back as it was (Ctrl-C again leaves now)");
    tokio::select! {
        result = render(|events| async move { ops::restore(ctx, &before, &events).await }) => {
            result?;
        }
        () = another_ctrl_c(first) => eprintln!("capstan: left {service} as it stands"),
    }
    Ok(ExitCode::from(130))
}

/// Resolves at a Ctrl-C that comes a second or more after `first`. One that comes at once is
/// the same interrupt again (coreutils `timeout` signals the process and then its group), not
/// the user pressing it a second time.
async fn another_ctrl_c(first: std::time::Instant) {
    loop {
        if tokio::signal::ctrl_c().await.is_err() {
            return std::future::pending().await;
        }
        if first.elapsed() >= std::time::Duration::from_secs(1) {
            return;
        }
    }
}

/// Prints one event; a closed stdout (`| head`) is not worth a panic mid-job.
fn print_event(event: &Event) {
    let mut out = std::io::stdout().lock();
    let _ = match event {
        Event::Job(job) => match &job.update {
            JobUpdate::Started { title } => writeln!(out, "==> {title}"),
            JobUpdate::Step {
                name,
                state,
                elapsed,
                detail,
            } => {
                let mark = match state {
                    JobState::Waiting => "wait",
                    JobState::Running => "....",
                    JobState::Ok => " ok ",
                    JobState::Changed => "done",
                    JobState::Skipped => "skip",
                    JobState::Failed => "FAIL",
                };
                let time = if *state == JobState::Running {
                    String::new()
                } else {
                    format!(" ({:.1}s)", elapsed.as_secs_f64())
                };
                let detail = detail
                    .as_deref()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default();
                writeln!(out, "[{mark}] {name}{time}{detail}")
            }
            JobUpdate::Line(line) => writeln!(out, "       {line}"),
            JobUpdate::Finished { state, summary } => {
                let word = if *state == JobState::Failed {
                    "failed"
                } else {
                    "ok"
                };
                writeln!(out, "==> {word}: {summary}")
            }
        },
        Event::Warning(text) => writeln!(std::io::stderr(), "capstan: warning: {text}"),
        _ => Ok(()),
    };
}

fn human(duration: chrono::TimeDelta) -> String {
    let secs = duration.num_seconds().max(0);
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m{}s", secs / 60, secs % 60),
        3600..86400 => format!("{}h{}m", secs / 3600, secs % 3600 / 60),
        _ => format!("{}d{}h", secs / 86400, secs % 86400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TITLE_AND_CLEAR: &[u8] = b"\x1b]0;CLI-TITLE\x07\x1b[2Jrequest";

    #[test]
    fn a_log_line_for_a_terminal_loses_its_title_change_and_screen_clear() {
        let mut out = Vec::new();

        write_log_line(&mut out, TITLE_AND_CLEAR, Some(true)).expect("a Vec takes every write");

        assert_eq!(out, b"request\n");
    }

    #[test]
    fn a_log_line_for_a_pipe_keeps_the_bytes_the_container_wrote() {
        let mut out = Vec::new();

        write_log_line(&mut out, TITLE_AND_CLEAR, None).expect("a Vec takes every write");

        assert_eq!(out, [TITLE_AND_CLEAR, b"\n"].concat());
    }
}
