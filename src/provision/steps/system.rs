//! `package`, `selinux_boolean`, `firewall` and `service`: the host's system state, each read
//! with the distribution's own tools and changed with the command a sysadmin would type.

use super::{Change, StepContext};
use crate::provision::playbook::{
    BooleanSpec, FirewallSpec, PackageSpec, PackageState, ServiceSpec, ServiceState,
};
use crate::provision::{Remote, sh_quote};

pub async fn package<R: Remote>(
    ctx: &StepContext<'_, R>,
    spec: &PackageSpec,
) -> anyhow::Result<Change> {
    let names = spec
        .names
        .iter()
        .map(|n| ctx.render("package name", n))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let manager = ctx.facts.package_manager.as_str();

    // Read: one query per package, in one round trip.
    let query = |name: &str| match manager {
        "apt" => format!(
            "dpkg-query -W -f='${{Status}}' {} 2>/dev/null | grep -q 'ok installed'",
            sh_quote(name)
        ),
        _ => format!("rpm -q {} >/dev/null 2>&1", sh_quote(name)),
    };
    if !["dnf", "yum", "apt"].contains(&manager) {
        anyhow::bail!("no supported package manager on this host (found {manager})");
    }
    let script: String = names
        .iter()
        .map(|n| format!("if {}; then echo yes; else echo no; fi\n", query(n)))
        .collect();
    let out = ctx.sh_ok(&script, "query packages").await?;
    let installed: Vec<bool> = out.stdout_text().lines().map(|l| l == "yes").collect();
    if installed.len() != names.len() {
        anyhow::bail!("unexpected answer querying packages: {}", out.stdout_text());
    }

    // Decide.
    let want_installed = spec.state == PackageState::Installed;
    let todo: Vec<&String> = names
        .iter()
        .zip(&installed)
        .filter(|(_, is)| **is != want_installed)
        .map(|(name, _)| name)
        .collect();
    let verb = if want_installed {
        "installed"
    } else {
        "absent"
    };
    if todo.is_empty() {
        return Ok(Change::unchanged(format!("{} {verb}", names.join(", "))));
    }
    let list: Vec<String> = todo.iter().map(|n| sh_quote(n)).collect();
    let detail = format!(
        "{}: {} → {verb}",
        todo.iter()
            .map(|n| n.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        if want_installed {
            "absent"
        } else {
            "installed"
        }
    );
    if ctx.check {
        return Ok(Change::changed(detail));
    }

    // Act.
    let command = match (manager, want_installed) {
        ("apt", true) => format!(
            "DEBIAN_FRONTEND=noninteractive apt-get install -y -q {0} || \
             {{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q {0}; }}",
            list.join(" ")
        ),
        ("apt", false) => {
            format!(
                "DEBIAN_FRONTEND=noninteractive apt-get remove -y -q {}",
                list.join(" ")
            )
        }
        (_, true) => format!("{manager} -y install {}", list.join(" ")),
        (_, false) => format!("{manager} -y remove {}", list.join(" ")),
    };
    ctx.sh_ok(&command, &format!("run `{command}`")).await?;
    Ok(Change::changed(detail))
}

/// The current and the persistent value of one SELinux boolean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BooleanValues {
    pub current: bool,
    pub persistent: Option<bool>,
}

pub async fn selinux_boolean<R: Remote>(
    ctx: &StepContext<'_, R>,
    spec: &BooleanSpec,
) -> anyhow::Result<Change> {
    let name = ctx.render("boolean name", &spec.name)?;
    let before = read_boolean(ctx, &name, spec.persistent).await?;
    let on_off = |v: bool| if v { "on" } else { "off" };
    let wanted = spec.value;

    let current_ok = before.current == wanted;
    let persistent_ok = !spec.persistent || before.persistent == Some(wanted);
    let mut detail = format!("{name}: current {}", on_off(before.current));
    if !current_ok {
        detail.push_str(&format!(" → {}", on_off(wanted)));
    }
    if let Some(p) = before.persistent {
        detail.push_str(&format!(", persistent {}", on_off(p)));
        if !persistent_ok {
            detail.push_str(&format!(" → {}", on_off(wanted)));
        }
    }
    if current_ok && persistent_ok {
        return Ok(Change::unchanged(detail));
    }
    if ctx.check {
        return Ok(Change::changed(detail));
    }

    // `setsebool -P` sets the persistent value and the running one.
    let flag = if spec.persistent { "-P " } else { "" };
    let command = format!("setsebool {flag}{} {}", sh_quote(&name), on_off(wanted));
    ctx.sh_ok(&command, &format!("run `{command}`")).await?;
    let after = read_boolean(ctx, &name, spec.persistent).await?;
    if after.current != wanted || (spec.persistent && after.persistent != Some(wanted)) {
        anyhow::bail!("`{command}` ran but {name} reads back as {after:?}");
    }
    Ok(Change::changed(detail))
}

async fn read_boolean<R: Remote>(
    ctx: &StepContext<'_, R>,
    name: &str,
    persistent: bool,
) -> anyhow::Result<BooleanValues> {
    let q = sh_quote(name);
    let out = ctx
        .sh_ok(&format!("getsebool {q}"), &format!("read {name}"))
        .await?;
    let current = parse_getsebool(name, &out.stdout_text())?;
    if !persistent {
        return Ok(BooleanValues {
            current,
            persistent: None,
        });
    }

    let script = "command -v semanage >/dev/null 2>&1 || { echo 'semanage not found: install \
                  policycoreutils-python-utils' >&2; exit 127; }\nsemanage boolean -l -n";
    let out = ctx
        .sh_ok(script, &format!("read the persistent value of {name}"))
        .await?;
    let persistent = parse_semanage(name, &out.stdout_text())?;
    Ok(BooleanValues {
        current,
        persistent: Some(persistent),
    })
}

/// `httpd_can_network_connect --> off` → false.
pub fn parse_getsebool(name: &str, text: &str) -> anyhow::Result<bool> {
    let line = text
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name));
    match line
        .and_then(|l| l.rsplit_once("-->"))
        .map(|(_, v)| v.trim())
    {
        Some("on") => Ok(true),
        Some("off") => Ok(false),
        _ => anyhow::bail!("unexpected getsebool output for {name}: {text:?}"),
    }
}

/// The persistent (Default) column of `semanage boolean -l`:
/// `httpd_can_network_connect (off , on) Allow ...` → true.
pub fn parse_semanage(name: &str, text: &str) -> anyhow::Result<bool> {
    let line = text
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .ok_or_else(|| anyhow::anyhow!("semanage boolean -l does not list {name}"))?;
    let inner = line
        .split_once('(')
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(inside, _)| inside)
        .ok_or_else(|| anyhow::anyhow!("unexpected semanage line for {name}: {line:?}"))?;
    match inner.split(',').nth(1).map(str::trim) {
        Some("on") => Ok(true),
        Some("off") => Ok(false),
        _ => anyhow::bail!("unexpected semanage line for {name}: {line:?}"),
    }
}

pub async fn firewall<R: Remote>(
    ctx: &StepContext<'_, R>,
    spec: &FirewallSpec,
) -> anyhow::Result<Change> {
    let (kind, value) = match (&spec.service, &spec.port) {
        (Some(service), _) => ("service", ctx.render("firewall service", service)?),
        (None, Some(port)) => ("port", ctx.render("firewall port", port)?),
        (None, None) => anyhow::bail!("firewall needs a service or a port"),
    };
    let zone = match &spec.zone {
        Some(zone) => format!(" --zone={}", sh_quote(&ctx.render("zone", zone)?)),
        None => String::new(),
    };
    let arg = sh_quote(&value);

    // Read the runtime and the permanent configuration.
    let query = |permanent: &str| {
        format!(
            "firewall-cmd{permanent}{zone} --query-{kind}={arg} >/dev/null 2>&1; \
             rc=$?; [ $rc -le 1 ] && echo $rc || {{ firewall-cmd{permanent}{zone} \
             --query-{kind}={arg}; exit $rc; }}\n"
        )
    };
    let script = format!("{}{}", query(""), query(" --permanent"));
    let out = ctx
        .sh_ok(&script, &format!("query firewalld for {kind} {value}"))
        .await?;
    let states: Vec<bool> = out.stdout_text().lines().map(|l| l.trim() == "0").collect();
    let [runtime, permanent] = states[..] else {
        anyhow::bail!("unexpected firewall-cmd answer: {}", out.stdout_text());
    };

    // Decide.
    let want = spec.enabled;
    let word = |on: bool| if on { "open" } else { "closed" };
    let mut detail = format!("{kind} {value}: runtime {}", word(runtime));
    if runtime != want {
        detail.push_str(&format!(" → {}", word(want)));
    }
    detail.push_str(&format!(", permanent {}", word(permanent)));
    if permanent != want {
        detail.push_str(&format!(" → {}", word(want)));
    }
    if runtime == want && permanent == want {
        return Ok(Change::unchanged(detail));
    }
    if ctx.check {
        return Ok(Change::changed(detail));
    }

    // Act on each configuration that differs.
    let verb = if want { "add" } else { "remove" };
    for (is, permanent_flag) in [(runtime, ""), (permanent, " --permanent")] {
        if is != want {
            let command = format!("firewall-cmd{permanent_flag}{zone} --{verb}-{kind}={arg}");
            ctx.sh_ok(&command, &format!("run `{command}`")).await?;
        }
    }
    Ok(Change::changed(detail))
}

pub async fn service<R: Remote>(
    ctx: &StepContext<'_, R>,
    spec: &ServiceSpec,
) -> anyhow::Result<Change> {
    let name = ctx.render("service name", &spec.name)?;
    let q = sh_quote(&name);
    let systemd = ctx.facts.init == "systemd";

    // Read.
    let script = if systemd {
        format!(
            "systemctl is-active --quiet {q} && echo running || echo stopped\n\
             systemctl is-enabled --quiet {q} 2>/dev/null && echo enabled || echo disabled\n"
        )
    } else {
        // Known shortcoming: without systemd, "enabled" is read from Debian's /etc/rc[2-5].d
        // links and changed with update-rc.d; other init systems (OpenRC, upstart) are not
        // handled. Goes when a non-systemd, non-Debian target is needed.
        format!(
            "service {q} status >/dev/null 2>&1 && echo running || echo stopped\n\
             ls /etc/rc[2345].d/S[0-9][0-9]{q} >/dev/null 2>&1 && echo enabled || echo disabled\n"
        )
    };
    let out = ctx
        .sh_ok(&script, &format!("read the state of {name}"))
        .await?;
    let text = out.stdout_text();
    let mut lines = text.lines();
    let running = lines.next() == Some("running");
    let enabled = lines.next() == Some("enabled");

    // Decide.
    let mut actions: Vec<(&str, String)> = Vec::new();
    let run = |verb: &str| {
        if systemd {
            format!("systemctl {verb} {q}")
        } else {
            format!("service {q} {verb}")
        }
    };
    match spec.state {
        Some(ServiceState::Started) if !running => {
            actions.push(("stopped → started", run("start")))
        }
        Some(ServiceState::Stopped) if running => actions.push(("running → stopped", run("stop"))),
        Some(ServiceState::Restarted) if running => actions.push(("restarted", run("restart"))),
        Some(ServiceState::Reloaded) if running => actions.push(("reloaded", run("reload"))),
        Some(ServiceState::Restarted | ServiceState::Reloaded) => {
            actions.push(("stopped → started", run("start")))
        }
        _ => {}
    }
    match spec.enabled {
        Some(true) if !enabled => actions.push((
            "disabled → enabled",
            if systemd {
                format!("systemctl enable {q}")
            } else {
                format!("update-rc.d {q} defaults")
            },
        )),
        Some(false) if enabled => actions.push((
            "enabled → disabled",
            if systemd {
                format!("systemctl disable {q}")
            } else {
                format!("update-rc.d {q} disable")
            },
        )),
        _ => {}
    }
    let state = if running { "running" } else { "stopped" };
    let boot = if enabled { "enabled" } else { "disabled" };
    if actions.is_empty() {
        return Ok(Change::unchanged(format!("{name}: {state}, {boot}")));
    }
    let detail = format!(
        "{name}: {}",
        actions
            .iter()
            .map(|(what, _)| *what)
            .collect::<Vec<_>>()
            .join(", ")
    );
    if ctx.check {
        return Ok(Change::changed(detail));
    }

    // Act, then read back that it runs (or not) as asked.
    for (_, command) in &actions {
        ctx.sh_ok(command, &format!("run `{command}`")).await?;
    }
    if let Some(state) = spec.state {
        let want_running = state != ServiceState::Stopped;
        let probe = if systemd {
            format!("systemctl is-active --quiet {q}")
        } else {
            format!("service {q} status >/dev/null 2>&1")
        };
        let mut ok = false;
        for _ in 0..20 {
            if ctx.sh(&probe).await?.success() == want_running {
                ok = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        if !ok {
            let word = if want_running { "running" } else { "stopped" };
            anyhow::bail!("{name} is not {word} after `{}`", actions[0].1);
        }
    }
    Ok(Change::changed(detail))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getsebool_line_gives_the_current_value() {
        let name = "httpd_can_network_connect";
        assert!(parse_getsebool(name, "httpd_can_network_connect --> on").unwrap());
        assert!(!parse_getsebool(name, "httpd_can_network_connect --> off").unwrap());
        assert!(parse_getsebool(name, "Error getting active value").is_err());
    }

    #[test]
    fn semanage_default_column_is_the_persistent_value() {
        let text = "httpd_can_network_connect      (off  ,   on)  Allow httpd to can network \
                    connect\nhttpd_can_network_connect_db   (on   ,  off)  Allow db";
        assert!(parse_semanage("httpd_can_network_connect", text).unwrap());
        assert!(!parse_semanage("httpd_can_network_connect_db", text).unwrap());
        assert!(parse_semanage("ftpd_full_access", text).is_err());
    }
}
