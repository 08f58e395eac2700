//! `command` (guarded by `creates`/`unless` so re-runs change nothing) and `http_check` (a URL
//! fetched on the host itself).

use std::time::Duration;

use super::{Change, StepContext};
use crate::provision::playbook::{CommandSpec, HttpCheckSpec};
use crate::provision::{Remote, sh_quote};

pub async fn command<R: Remote>(
    ctx: &StepContext<'_, R>,
    spec: &CommandSpec,
) -> anyhow::Result<Change> {
    let run = ctx.render("run", &spec.run)?;

    // A check-only command (a config test) runs in check mode too, and never changes anything.
    if !spec.changes {
        let out = ctx.sh(&run).await?;
        if !out.success() {
            anyhow::bail!(
                "`{run}` failed (exit status {}): {}",
                out.status,
                out.message()
            );
        }
        return Ok(Change::unchanged(format!("`{run}` passed")));
    }

    // Read the guards.
    if let Some(path) = &spec.creates {
        let path = ctx.render("creates", path)?;
        if ctx
            .sh(&format!("test -e {}", sh_quote(&path)))
            .await?
            .success()
        {
            return Ok(Change::unchanged(format!("{path} exists")));
        }
    }
    if let Some(unless) = &spec.unless {
        let unless = ctx.render("unless", unless)?;
        if ctx.sh(&unless).await?.success() {
            return Ok(Change::unchanged(format!("`{unless}` succeeded")));
        }
    }
    if ctx.check {
        return Ok(Change::changed(format!("would run `{run}`")));
    }

    // Act.
    let out = ctx.sh(&run).await?;
    if !out.success() {
        anyhow::bail!(
            "`{run}` failed (exit status {}): {}",
            out.status,
            out.message()
        );
    }
    let said = out.stdout_text();
    let detail = if said.is_empty() {
        format!("ran `{run}`")
    } else {
        format!("ran `{run}`: {said}")
    };
    Ok(Change::changed(detail))
}

pub async fn http_check<R: Remote>(
    ctx: &StepContext<'_, R>,
    spec: &HttpCheckSpec,
) -> anyhow::Result<Change> {
    let url = ctx.render("url", &spec.url)?;
    let contains = spec
        .contains
        .as_ref()
        .map(|c| ctx.render("contains", c))
        .transpose()?;
    let expectation = match &contains {
        Some(text) => format!("{} with {text:?}", spec.status),
        None => spec.status.to_string(),
    };

    let script = format!(
        "command -v curl >/dev/null 2>&1 || \
         {{ echo 'curl not found on the host' >&2; exit 127; }}\n\
         curl -sS --max-time 5 -w '\\n%{{http_code}}' {}",
        sh_quote(&url)
    );
    let attempts = spec.retries.max(1);
    let mut last = String::new();
    for attempt in 1..=attempts {
        let out = ctx.sh(&script).await?;
        if out.status == 127 {
            anyhow::bail!("{}", out.message());
        }
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", text.as_str()));
        let code: u16 = code.trim().parse().unwrap_or(0);
        let body_ok = contains.as_ref().is_none_or(|c| body.contains(c.as_str()));
        if code == spec.status && body_ok {
            return Ok(Change::unchanged(format!("{url} answered {expectation}")));
        }
        last = if code == 0 {
            format!("no answer ({})", out.message())
        } else {
            format!("status {code}, body {:?}", shorten(body))
        };
        if ctx.check && ctx.earlier_changes {
            break;
        }
        if attempt < attempts {
            tokio::time::sleep(Duration::from_millis(spec.delay_ms)).await;
        }
    }
    if ctx.check && ctx.earlier_changes {
        // Reported as skipped by the runner: the answer depends on changes not made.
        anyhow::bail!(SkipInCheck(format!(
            "now {last}; expects {expectation} after the changes"
        )));
    }
    anyhow::bail!("{url} did not answer {expectation} after {attempts} tries: last {last}")
}

/// A check that cannot be judged in check mode because earlier steps would change the host.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SkipInCheck(pub String);

fn shorten(body: &str) -> String {
    let body = body.trim();
    match body.char_indices().nth(200) {
        Some((at, _)) => format!("{}…", &body[..at]),
        None => body.to_string(),
    }
}
