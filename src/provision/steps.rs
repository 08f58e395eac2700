//! The step modules: each reads the host's state, then changes only what differs.
//!
//! A step returns a [`Change`] (changed or not, a before → after detail, a unified diff for
//! files) or an error whose message becomes the step's failure. In check mode nothing is changed
//! and the [`Change`] says what would change. Text leaving here is not masked yet: the runner
//! masks every detail, diff and error with the run's [`super::Masker`].

pub(crate) mod command;
mod files;
mod system;

use anyhow::Context;
use minijinja::{Environment, UndefinedBehavior, Value};

use super::facts::Facts;
use super::playbook::{Action, Playbook};
use super::{Output, Remote};

/// What a step did, or would do in check mode.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    pub changed: bool,
    /// Before → after for values, what ran for commands.
    pub detail: Option<String>,
    /// A unified diff, for files.
    pub diff: Option<String>,
}

impl Change {
    pub fn unchanged(detail: impl Into<String>) -> Change {
        Change {
            changed: false,
            detail: Some(detail.into()),
            diff: None,
        }
    }

    pub fn changed(detail: impl Into<String>) -> Change {
        Change {
            changed: true,
            detail: Some(detail.into()),
            diff: None,
        }
    }
}

/// Renders strings and templates with the playbook's variables, secrets and the host's facts.
///
/// An undefined variable is an error naming the template, never an empty string.
pub struct Renderer {
    env: Environment<'static>,
    context: Value,
}

impl Renderer {
    /// `values` are the variables and secrets; facts are reachable as `facts.NAME`.
    pub fn new(values: &std::collections::BTreeMap<String, Value>, facts: &Facts) -> Renderer {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_keep_trailing_newline(true);
        let mut map = values.clone();
        map.insert("facts".to_string(), Value::from_serialize(facts));
        Renderer {
            env,
            context: Value::from_serialize(&map),
        }
    }

    /// Renders one string (a step parameter); `what` names it in errors.
    pub fn render(&self, what: &str, source: &str) -> anyhow::Result<String> {
        if !source.contains("{{") && !source.contains("{%") {
            return Ok(source.to_string());
        }
        self.env
            .render_str(source, &self.context)
            .map_err(|err| anyhow::anyhow!("cannot render {what}: {}", describe(&err)))
    }
}

fn describe(err: &minijinja::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        text.push_str(&format!(": {inner}"));
        source = inner.source();
    }
    text
}

/// Everything a step needs to read and change one host.
pub struct StepContext<'a, R: Remote> {
    pub remote: &'a R,
    pub facts: &'a Facts,
    pub playbook: &'a Playbook,
    pub renderer: &'a Renderer,
    /// Change nothing; report what would change.
    pub check: bool,
    /// In check mode: an earlier step would have changed something.
    pub earlier_changes: bool,
}

impl<R: Remote> StepContext<'_, R> {
    /// Runs a script as root; a non-zero exit is returned, not an error.
    pub async fn sh(&self, script: &str) -> anyhow::Result<Output> {
        self.remote.run(script, None).await
    }

    /// Runs a script as root and fails with its message when it exits non-zero.
    pub async fn sh_ok(&self, script: &str, what: &str) -> anyhow::Result<Output> {
        let out = self
            .sh(script)
            .await
            .with_context(|| format!("failed to {what}"))?;
        if !out.success() {
            anyhow::bail!(
                "failed to {what} (exit status {}): {}",
                out.status,
                out.message()
            );
        }
        Ok(out)
    }

    pub fn render(&self, what: &str, source: &str) -> anyhow::Result<String> {
        self.renderer.render(what, source)
    }
}

/// Runs one step's action on the host.
pub async fn execute<R: Remote>(
    ctx: &StepContext<'_, R>,
    action: &Action,
) -> anyhow::Result<Change> {
    match action {
        Action::Package(spec) => system::package(ctx, spec).await,
        Action::File(spec) => files::file(ctx, spec).await,
        Action::SelinuxBoolean(spec) => system::selinux_boolean(ctx, spec).await,
        Action::Firewall(spec) => system::firewall(ctx, spec).await,
        Action::Service(spec) => system::service(ctx, spec).await,
        Action::Command(spec) => command::command(ctx, spec).await,
        Action::HttpCheck(spec) => command::http_check(ctx, spec).await,
        Action::FlushHandlers => anyhow::bail!("flush_handlers is run by the runner, not a step"),
    }
}
