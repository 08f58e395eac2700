//! `file` and `template`: a file's content, owner, group and mode; SELinux context restored
//! where SELinux is on; an optional config test with restore-on-failure.

use similar::TextDiff;

use super::{Change, StepContext};
use crate::provision::playbook::FileSpec;
use crate::provision::{Remote, sh_quote};

/// What the host has at `dest` now.
#[derive(Debug, PartialEq, Eq)]
enum Current {
    Missing,
    File {
        owner: String,
        group: String,
        mode: u32,
        content: Vec<u8>,
    },
}

pub async fn file<R: Remote>(ctx: &StepContext<'_, R>, spec: &FileSpec) -> anyhow::Result<Change> {
    let dest = ctx.render("dest", &spec.dest)?;
    let owner = ctx.render("owner", &spec.owner)?;
    let group = ctx.render("group", &spec.group)?;
    let mode = u32::from_str_radix(&spec.mode, 8)
        .map_err(|_| anyhow::anyhow!("mode {:?} is not octal", spec.mode))?;
    let desired = match (&spec.src, &spec.content) {
        (Some(src), _) => {
            let name = ctx.render("src", src)?;
            let text = ctx.playbook.template_text(&name)?;
            ctx.render(&format!("template {name}"), &text)?
        }
        (None, Some(content)) => ctx.render("content", content)?,
        (None, None) => anyhow::bail!("file {dest} has neither content nor src"),
    };

    // Read.
    let q = sh_quote(&dest);
    let read = format!(
        "if [ -f {q} ]; then echo file; stat -c '%U %G %a' {q} && cat {q}; \
         elif [ -e {q} ]; then echo other; else echo missing; fi"
    );
    let out = ctx.sh_ok(&read, &format!("read {dest}")).await?;
    let current = parse_current(&out.stdout)
        .ok_or_else(|| anyhow::anyhow!("unexpected answer reading {dest}: {}", out.message()))?;

    // Decide.
    let (content_differs, meta_before) = match &current {
        Current::Missing => (true, None),
        Current::File {
            owner: o,
            group: g,
            mode: m,
            content,
        } => (
            content.as_slice() != desired.as_bytes(),
            Some((o.clone(), g.clone(), *m)),
        ),
    };
    let meta_differs = meta_before.as_ref() != Some(&(owner.clone(), group.clone(), mode));
    if !content_differs && !meta_differs {
        return Ok(Change::unchanged(format!("{dest} is up to date")));
    }
    let old_text = match &current {
        Current::File { content, .. } => String::from_utf8_lossy(content).to_string(),
        Current::Missing => String::new(),
    };
    let diff = content_differs.then(|| unified_diff(&dest, &old_text, &desired));
    let detail = describe(
        &dest,
        meta_before.as_ref(),
        (&owner, &group, mode),
        content_differs,
    );
    if ctx.check {
        return Ok(Change {
            changed: true,
            detail: Some(detail),
            diff,
        });
    }

    // Act.
    let existed = current != Current::Missing;
    let backup = format!("{dest}.capstan-previous");
    let restorecon = if ctx.facts.selinux != "disabled" {
        format!("restorecon {q}\n")
    } else {
        String::new()
    };
    let chown = format!("{}:{}", sh_quote(&owner), sh_quote(&group));
    let script = if content_differs {
        let keep = if spec.validate.is_some() && existed {
            format!("cp -p {q} {}\n", sh_quote(&backup))
        } else {
            String::new()
        };
        format!(
            "set -e\ntmp=$(mktemp {tmp})\ntrap 'rm -f \"$tmp\"' EXIT\ncat >\"$tmp\"\n\
             chown {chown} \"$tmp\"\nchmod {mode:o} \"$tmp\"\n{keep}mv -f \"$tmp\" {q}\n\
             trap - EXIT\n{restorecon}",
            tmp = sh_quote(&format!("{dest}.capstan-XXXXXX")),
        )
    } else {
        format!("set -e\nchown {chown} {q}\nchmod {mode:o} {q}\n")
    };
    let out = ctx
        .remote
        .run(&script, content_differs.then_some(desired.as_bytes()))
        .await?;
    if !out.success() {
        anyhow::bail!(
            "failed to write {dest} on {}: {}",
            ctx.remote.host(),
            out.message()
        );
    }

    // Validate, and put the previous file back when the server refuses the new one.
    if let Some(validate) = &spec.validate {
        let validate = ctx.render("validate", validate)?;
        let test = ctx.sh(&validate).await?;
        if !test.success() {
            let undo = if existed && content_differs {
                format!("mv -f {} {q}", sh_quote(&backup))
            } else if existed {
                format!(
                    "chown {} {q} && chmod {:o} {q}",
                    meta_before
                        .as_ref()
                        .map(|(o, g, _)| format!("{}:{}", sh_quote(o), sh_quote(g)))
                        .unwrap_or_default(),
                    meta_before.as_ref().map(|(_, _, m)| *m).unwrap_or(0o644)
                )
            } else {
                format!("rm -f {q}")
            };
            let restored = ctx.sh(&undo).await?;
            let what = if existed {
                "put the previous file back"
            } else {
                "removed the new file"
            };
            let restore_note = if restored.success() {
                what.to_string()
            } else {
                format!("could NOT restore it: {}", restored.message())
            };
            anyhow::bail!(
                "`{validate}` refused {dest} ({restore_note}; the running server is untouched): {}",
                test.message()
            );
        }
        if existed && content_differs {
            ctx.sh(&format!("rm -f {}", sh_quote(&backup))).await?;
        }
    }

    Ok(Change {
        changed: true,
        detail: Some(detail),
        diff,
    })
}

fn parse_current(stdout: &[u8]) -> Option<Current> {
    let first = stdout
        .iter()
        .position(|b| *b == b'\n')
        .unwrap_or(stdout.len());
    match &stdout[..first] {
        b"missing" => Some(Current::Missing),
        b"file" => {
            let rest = stdout.get(first + 1..)?;
            let end = rest.iter().position(|b| *b == b'\n')?;
            let meta = String::from_utf8_lossy(&rest[..end]).to_string();
            let mut parts = meta.split_whitespace();
            let owner = parts.next()?.to_string();
            let group = parts.next()?.to_string();
            let mode = u32::from_str_radix(parts.next()?, 8).ok()?;
            Some(Current::File {
                owner,
                group,
                mode,
                content: rest[end + 1..].to_vec(),
            })
        }
        _ => None,
    }
}

fn describe(
    dest: &str,
    before: Option<&(String, String, u32)>,
    after: (&str, &str, u32),
    content: bool,
) -> String {
    let (owner, group, mode) = after;
    match before {
        None => format!("{dest}: created ({owner}:{group} {mode:04o})"),
        Some((o, g, m)) => {
            let mut parts = Vec::new();
            if content {
                parts.push("content".to_string());
            }
            if (o.as_str(), g.as_str()) != (owner, group) {
                parts.push(format!("owner {o}:{g} → {owner}:{group}"));
            }
            if *m != mode {
                parts.push(format!("mode {m:04o} → {mode:04o}"));
            }
            format!("{dest}: {}", parts.join(", "))
        }
    }
}

/// A unified diff between the host's file and the desired one.
pub fn unified_diff(dest: &str, old: &str, new: &str) -> String {
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("{dest} (on host)"), &format!("{dest} (playbook)"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_file_is_read_from_the_probe_output() {
        let out = b"file\nroot www 640\nline one\nline two\n";
        assert_eq!(
            parse_current(out),
            Some(Current::File {
                owner: "root".into(),
                group: "www".into(),
                mode: 0o640,
                content: b"line one\nline two\n".to_vec()
            })
        );
        assert_eq!(parse_current(b"missing\n"), Some(Current::Missing));
        assert_eq!(parse_current(b"other\n"), None);
    }

    #[test]
    fn unified_diff_shows_removed_and_added_lines() {
        let diff = unified_diff("/etc/a.conf", "a\nb\n", "a\nc\n");
        assert!(diff.contains("--- /etc/a.conf (on host)"), "{diff}");
        assert!(diff.contains("-b\n+c\n"), "{diff}");
    }
}
