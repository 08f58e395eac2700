//! One run of a playbook on one host: facts, then each step in order, then the notified
//! handlers, with every result masked and reported as it completes.
//!
//! Handlers run once each, at the end, only when a step that notified them changed something,
//! and they still run when a later step failed: a changed config is never left without its
//! restart.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use minijinja::Value;
use serde::Serialize;

use super::Remote;
use super::facts::Facts;
use super::mask::Masker;
use super::playbook::{Action, Playbook, Step};
use super::steps::command::SkipInCheck;
use super::steps::{self, Renderer, StepContext};

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Ok,
    Changed,
    Skipped,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Changed => "changed",
            Outcome::Skipped => "skipped",
            Outcome::Failed => "failed",
        }
    }
}

/// One step's result; every text in it is already masked.
#[derive(Debug, Clone, Serialize)]
pub struct StepResult {
    pub step: String,
    /// The step kind ("template", "service", ...), or "facts".
    pub kind: String,
    pub handler: bool,
    pub outcome: Outcome,
    #[serde(serialize_with = "as_millis", rename = "duration_ms")]
    pub duration: Duration,
    pub detail: Option<String>,
    pub diff: Option<String>,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

/// What a caller chooses for one run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Change nothing; report what would change.
    pub check: bool,
    /// Variables given on the command line; they override the playbook's.
    pub vars: BTreeMap<String, String>,
    /// Secret variables read from files (mode 0600) given on the command line.
    pub secret_files: BTreeMap<String, PathBuf>,
}

/// The variables and secrets of a run, ready for templates, and the masker for the secrets.
#[derive(Debug, Clone)]
pub struct Values {
    pub values: BTreeMap<String, Value>,
    pub masker: Masker,
}

impl Values {
    /// Resolves the playbook's variables, the overrides, and the secrets (read from files that
    /// must be mode 0600 and not empty).
    pub fn resolve(playbook: &Playbook, options: &RunOptions) -> anyhow::Result<Values> {
        let mut values: BTreeMap<String, Value> = playbook
            .vars
            .iter()
            .map(|(k, v)| (k.clone(), Value::from_serialize(v)))
            .collect();
        for (key, value) in &options.vars {
            values.insert(key.clone(), Value::from(value.clone()));
        }

        let mut files: BTreeMap<String, PathBuf> = playbook
            .secrets
            .iter()
            .map(|(k, spec)| (k.clone(), expand_home(&spec.file)))
            .collect();
        files.extend(options.secret_files.clone());
        let mut secrets = Vec::new();
        for (key, path) in files {
            let secret = read_secret(&path)
                .with_context(|| format!("failed to read secret {key} from {}", path.display()))?;
            values.insert(key, Value::from(secret.clone()));
            secrets.push(secret);
        }

        Ok(Values {
            values,
            masker: Masker::new(secrets),
        })
    }
}

fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

fn read_secret(path: &std::path::Path) -> anyhow::Result<String> {
    use std::os::unix::fs::PermissionsExt;

    let meta = std::fs::metadata(path)?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        anyhow::bail!("mode is {mode:04o}; a secret file must be 0600 (chmod 600 it)");
    }
    let text = std::fs::read_to_string(path)?;
    let secret = text.trim_end_matches(['\n', '\r']).to_string();
    if secret.is_empty() {
        anyhow::bail!("the file is empty");
    }
    Ok(secret)
}

/// Everything one run did on one host.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub host: String,
    pub playbook: String,
    pub check: bool,
    pub facts: Option<Facts>,
    pub results: Vec<StepResult>,
    #[serde(serialize_with = "as_millis", rename = "duration_ms")]
    pub duration: Duration,
}

impl RunReport {
    pub fn count(&self, outcome: Outcome) -> usize {
        self.results.iter().filter(|r| r.outcome == outcome).count()
    }

    pub fn failed(&self) -> bool {
        self.count(Outcome::Failed) > 0
    }

    /// "3 ok, 2 changed, 1 skipped, 0 failed in 4.2 s".
    pub fn summary(&self) -> String {
        format!(
            "{} ok, {} changed, {} skipped, {} failed in {:.1} s",
            self.count(Outcome::Ok),
            self.count(Outcome::Changed),
            self.count(Outcome::Skipped),
            self.count(Outcome::Failed),
            self.duration.as_secs_f64()
        )
    }
}

/// What a run tells its caller as it goes.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// A step (or the facts, or a handler) is starting.
    Started(&'a str),
    /// A step finished; its text is masked.
    Done(&'a StepResult),
}

/// Collects results and tells the caller about each as it happens.
struct Recorder<'r> {
    report: &'r mut (dyn FnMut(Progress<'_>) + Send),
    results: Vec<StepResult>,
}

impl Recorder<'_> {
    fn start(&mut self, step: &str) {
        (self.report)(Progress::Started(step));
    }

    fn done(&mut self, result: StepResult) {
        (self.report)(Progress::Done(&result));
        self.results.push(result);
    }
}

/// Runs `playbook` on the host behind `remote`, calling `report` as each step starts and
/// completes (facts first, then steps, then handlers).
pub async fn run_playbook<R: Remote>(
    remote: &R,
    playbook: &Playbook,
    values: &Values,
    check: bool,
    mut report: impl FnMut(Progress<'_>) + Send,
) -> RunReport {
    let started = Instant::now();
    let masker = &values.masker;
    let mut recorder = Recorder {
        report: &mut report,
        results: Vec::new(),
    };
    let finish = |facts, results| RunReport {
        host: remote.host().to_string(),
        playbook: playbook.name.clone(),
        check,
        facts,
        results,
        duration: started.elapsed(),
    };

    // Facts.
    let clock = Instant::now();
    recorder.start("gather facts");
    let facts = match Facts::gather(remote).await {
        Ok(facts) => facts,
        Err(err) => {
            recorder.done(failed("gather facts", "facts", false, clock, masker, &err));
            return finish(None, recorder.results);
        }
    };
    recorder.done(StepResult {
        step: "gather facts".into(),
        kind: "facts".into(),
        handler: false,
        outcome: Outcome::Ok,
        duration: clock.elapsed(),
        detail: Some(masker.mask(&facts.summary())),
        diff: None,
    });
    let renderer = Renderer::new(&values.values, &facts);

    // Steps, in order, until one fails; `flush_handlers` runs the handlers notified so far.
    let mut notified: BTreeSet<String> = BTreeSet::new();
    let mut earlier_changes = false;
    for step in &playbook.steps {
        let ctx = StepContext {
            remote,
            facts: &facts,
            playbook,
            renderer: &renderer,
            check,
            earlier_changes,
        };
        if matches!(step.action, Action::FlushHandlers) {
            if step.when.refusal(&facts).is_none() {
                run_handlers(&ctx, &mut notified, masker, &mut recorder).await;
            }
            continue;
        }
        recorder.start(&step.name);
        let result = run_step(&ctx, step, false, masker).await;
        if result.outcome == Outcome::Changed {
            earlier_changes = true;
            notified.extend(step.notify.iter().cloned());
        }
        let stop = result.outcome == Outcome::Failed;
        recorder.done(result);
        if stop {
            break;
        }
    }

    // Handlers still pending: also after a failed step, so a changed config gets its restart.
    let ctx = StepContext {
        remote,
        facts: &facts,
        playbook,
        renderer: &renderer,
        check,
        earlier_changes,
    };
    run_handlers(&ctx, &mut notified, masker, &mut recorder).await;

    finish(Some(facts), recorder.results)
}

/// Runs each notified handler once, in the order they are written, and forgets the
/// notifications. In check mode a notified handler is reported as what would run.
async fn run_handlers<R: Remote>(
    ctx: &StepContext<'_, R>,
    notified: &mut BTreeSet<String>,
    masker: &Masker,
    recorder: &mut Recorder<'_>,
) {
    for handler in &ctx.playbook.handlers {
        if !notified.remove(&handler.name) {
            continue;
        }
        recorder.start(&handler.name);
        let result = if ctx.check {
            StepResult {
                step: handler.name.clone(),
                kind: handler.action.kind().into(),
                handler: true,
                outcome: Outcome::Changed,
                duration: Duration::ZERO,
                detail: Some("would run: notified by a step that would change".into()),
                diff: None,
            }
        } else {
            run_step(ctx, handler, true, masker).await
        };
        recorder.done(result);
    }
}

async fn run_step<R: Remote>(
    ctx: &StepContext<'_, R>,
    step: &Step,
    handler: bool,
    masker: &Masker,
) -> StepResult {
    let clock = Instant::now();
    let kind = step.action.kind();
    if let Some(reason) = step.when.refusal(ctx.facts) {
        return StepResult {
            step: step.name.clone(),
            kind: kind.into(),
            handler,
            outcome: Outcome::Skipped,
            duration: clock.elapsed(),
            detail: Some(reason),
            diff: None,
        };
    }

    match steps::execute(ctx, &step.action).await {
        Ok(change) => StepResult {
            step: step.name.clone(),
            kind: kind.into(),
            handler,
            // A handler that runs has acted, even when the service already was in that state.
            outcome: if change.changed || handler {
                Outcome::Changed
            } else {
                Outcome::Ok
            },
            duration: clock.elapsed(),
            detail: change.detail.map(|d| masker.mask(&d)),
            diff: change.diff.map(|d| masker.mask(&d)),
        },
        Err(err) if err.downcast_ref::<SkipInCheck>().is_some() => StepResult {
            step: step.name.clone(),
            kind: kind.into(),
            handler,
            outcome: Outcome::Skipped,
            duration: clock.elapsed(),
            detail: Some(masker.mask(&format!("not checked in check mode: {err}"))),
            diff: None,
        },
        Err(err) => failed(&step.name, kind, handler, clock, masker, &err),
    }
}

fn failed(
    name: &str,
    kind: &str,
    handler: bool,
    clock: Instant,
    masker: &Masker,
    err: &anyhow::Error,
) -> StepResult {
    StepResult {
        step: name.to_string(),
        kind: kind.to_string(),
        handler,
        outcome: Outcome::Failed,
        duration: clock.elapsed(),
        detail: Some(masker.mask(&format!("{err:#}"))),
        diff: None,
    }
}

#[cfg(test)]
mod tests;
