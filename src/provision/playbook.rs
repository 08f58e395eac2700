//! Playbooks as data: a TOML file of variables, secrets, steps and handlers.
//!
//! Unknown keys are refused everywhere, and a malformed playbook is refused with the file, the
//! step (number and name) and the problem. Strings in steps are minijinja templates rendered with
//! the variables and the host's facts when the step runs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::facts::Facts;

mod spec;

pub use spec::{
    BooleanSpec, CommandSpec, FileSpec, FirewallSpec, HttpCheckSpec, PackageSpec, PackageState,
    ServiceSpec, ServiceState,
};

/// A playbook shipped with Capstan, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "rhel-reverse-proxy",
        include_str!("../../playbooks/rhel-reverse-proxy.toml"),
    ),
    (
        "debian-reverse-proxy",
        include_str!("../../playbooks/debian-reverse-proxy.toml"),
    ),
    (
        "docker-host",
        include_str!("../../playbooks/docker-host.toml"),
    ),
];

/// Templates shipped with Capstan, by file name in `assets/templates/`.
pub const BUILTIN_TEMPLATES: &[(&str, &str)] = &[
    (
        "rhel-vhost.conf.j2",
        include_str!("../../assets/templates/rhel-vhost.conf.j2"),
    ),
    (
        "debian-vhost.conf.j2",
        include_str!("../../assets/templates/debian-vhost.conf.j2"),
    ),
    (
        "debian-ports.conf.j2",
        include_str!("../../assets/templates/debian-ports.conf.j2"),
    ),
];

/// A parsed and checked playbook.
#[derive(Debug, Clone)]
pub struct Playbook {
    pub name: String,
    pub description: String,
    /// Where it came from: a path, or `builtin:NAME`.
    pub source: String,
    pub vars: BTreeMap<String, toml::Value>,
    pub secrets: BTreeMap<String, SecretSpec>,
    pub steps: Vec<Step>,
    pub handlers: Vec<Step>,
    /// Directories searched for templates before the built-in ones.
    pub template_dirs: Vec<PathBuf>,
}

/// The file format, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlaybookFile {
    name: Option<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    vars: BTreeMap<String, toml::Value>,
    #[serde(default)]
    secrets: BTreeMap<String, SecretSpec>,
    #[serde(default)]
    steps: Vec<StepSpec>,
    #[serde(default)]
    handlers: Vec<StepSpec>,
}

/// A secret variable: its value is read from a file of mode 0600 on the machine running
/// Capstan, and masked as `********` in every output, diff and audit record.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretSpec {
    pub file: String,
}

/// One step as written: a name, optional condition and notifications, and exactly one kind.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct StepSpec {
    name: String,
    #[serde(default)]
    when: When,
    #[serde(default)]
    notify: OneOrMany,
    package: Option<PackageSpec>,
    file: Option<FileSpec>,
    template: Option<FileSpec>,
    selinux_boolean: Option<BooleanSpec>,
    firewall: Option<FirewallSpec>,
    service: Option<ServiceSpec>,
    command: Option<CommandSpec>,
    http_check: Option<HttpCheckSpec>,
    flush_handlers: Option<bool>,
}

/// A step, checked.
#[derive(Debug, Clone)]
pub struct Step {
    pub name: String,
    pub when: When,
    pub notify: Vec<String>,
    pub action: Action,
}

/// What a step does.
#[derive(Debug, Clone)]
pub enum Action {
    Package(PackageSpec),
    /// A file with literal content (`file`) or content from a template (`template`).
    File(FileSpec),
    SelinuxBoolean(BooleanSpec),
    Firewall(FirewallSpec),
    Service(ServiceSpec),
    Command(CommandSpec),
    HttpCheck(HttpCheckSpec),
    /// Run the handlers notified so far, now (before an `http_check` of the new config).
    FlushHandlers,
}

impl Action {
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Package(_) => "package",
            Action::File(spec) if spec.src.is_some() => "template",
            Action::File(_) => "file",
            Action::SelinuxBoolean(_) => "selinux_boolean",
            Action::Firewall(_) => "firewall",
            Action::Service(_) => "service",
            Action::Command(_) => "command",
            Action::HttpCheck(_) => "http_check",
            Action::FlushHandlers => "flush_handlers",
        }
    }
}

/// One value or a list of values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum OneOrMany {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn values(&self) -> Vec<String> {
        match self {
            OneOrMany::None => Vec::new(),
            OneOrMany::One(v) => vec![v.clone()],
            OneOrMany::Many(vs) => vs.clone(),
        }
    }
}

/// Conditions on facts; all given ones must hold. A list means "any of these".
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct When {
    #[serde(default)]
    pub os_family: OneOrMany,
    #[serde(default)]
    pub os_id: OneOrMany,
    #[serde(default)]
    pub selinux: OneOrMany,
    #[serde(default)]
    pub init: OneOrMany,
    #[serde(default)]
    pub package_manager: OneOrMany,
    pub firewalld: Option<bool>,
}

impl When {
    /// `None` when the step should run, else why it is skipped ("os_family is debian, not
    /// rhel").
    pub fn refusal(&self, facts: &Facts) -> Option<String> {
        let checks: [(&str, &OneOrMany, &str); 5] = [
            ("os_family", &self.os_family, &facts.os_family),
            ("os_id", &self.os_id, &facts.os_id),
            ("selinux", &self.selinux, &facts.selinux),
            ("init", &self.init, &facts.init),
            (
                "package_manager",
                &self.package_manager,
                &facts.package_manager,
            ),
        ];
        for (key, wanted, actual) in checks {
            let wanted = wanted.values();
            if !wanted.is_empty() && !wanted.iter().any(|w| w.eq_ignore_ascii_case(actual)) {
                return Some(format!("{key} is {actual}, not {}", wanted.join(" or ")));
            }
        }
        if let Some(wanted) = self.firewalld
            && wanted != facts.firewalld
        {
            let state = |on: bool| if on { "running" } else { "not running" };
            return Some(format!(
                "firewalld is {} (the step wants it {})",
                state(facts.firewalld),
                state(wanted)
            ));
        }
        None
    }
}

/// A playbook that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PlaybookError {
    #[error("cannot read playbook {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("playbook {path}{location}: {message}")]
    Invalid {
        path: String,
        location: String,
        message: String,
    },
    #[error("no playbook named {0:?}: give a path, or one of: {1}")]
    Unknown(String, String),
}

impl Playbook {
    /// Loads a playbook by path, or by the name of a built-in one ("rhel-reverse-proxy").
    ///
    /// For a file, templates are looked up in `templates/` and `../assets/templates/` next to
    /// it before the built-in ones.
    pub fn load(name_or_path: &str) -> Result<Playbook, PlaybookError> {
        let path = Path::new(name_or_path);
        if path.exists() {
            let text = std::fs::read_to_string(path).map_err(|source| PlaybookError::Read {
                path: path.display().to_string(),
                source,
            })?;
            let dir = path.parent().unwrap_or(Path::new("."));
            let dirs = vec![dir.join("templates"), dir.join("../assets/templates")];
            let stem = path.file_stem().map(|s| s.to_string_lossy().to_string());
            return Playbook::parse(&path.display().to_string(), &text, stem, dirs);
        }

        let wanted = name_or_path.trim_end_matches(".toml");
        match BUILTIN.iter().find(|(name, _)| *name == wanted) {
            Some((name, text)) => Playbook::parse(
                &format!("builtin:{name}"),
                text,
                Some(name.to_string()),
                Vec::new(),
            ),
            None => {
                let names: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
                Err(PlaybookError::Unknown(
                    name_or_path.to_string(),
                    names.join(", "),
                ))
            }
        }
    }

    /// Parses and checks playbook text; `source` names it in errors.
    pub fn parse(
        source: &str,
        text: &str,
        default_name: Option<String>,
        template_dirs: Vec<PathBuf>,
    ) -> Result<Playbook, PlaybookError> {
        let invalid = |location: String, message: String| PlaybookError::Invalid {
            path: source.to_string(),
            location,
            message,
        };
        let file: PlaybookFile = toml::from_str(text).map_err(|err| {
            let location = err
                .span()
                .map(|span| locate(text, span.start))
                .unwrap_or_default();
            invalid(location, err.message().to_string())
        })?;

        let steps = convert_all(&file.steps, "step").map_err(|(l, m)| invalid(l, m))?;
        let handlers = convert_all(&file.handlers, "handler").map_err(|(l, m)| invalid(l, m))?;
        let mut seen = std::collections::BTreeSet::new();
        for (index, handler) in handlers.iter().enumerate() {
            if !seen.insert(handler.name.as_str()) {
                let at = format!(", handler {} {:?}", index + 1, handler.name);
                return Err(invalid(at, "another handler has the same name".into()));
            }
        }
        for (index, step) in steps.iter().enumerate() {
            for target in &step.notify {
                if !seen.contains(target.as_str()) {
                    let at = format!(", step {} {:?}", index + 1, step.name);
                    return Err(invalid(
                        at,
                        format!("notifies {target:?}, which is no handler"),
                    ));
                }
            }
        }
        if steps.is_empty() {
            return Err(invalid(String::new(), "has no steps".into()));
        }

        Ok(Playbook {
            name: file
                .name
                .or(default_name)
                .unwrap_or_else(|| "playbook".to_string()),
            description: file.description,
            source: source.to_string(),
            vars: file.vars,
            secrets: file.secrets,
            steps,
            handlers,
            template_dirs,
        })
    }

    /// The text of template `name`: from the template directories, else the built-in ones.
    pub fn template_text(&self, name: &str) -> anyhow::Result<String> {
        if name.contains("..") || name.starts_with('/') {
            anyhow::bail!("template name {name:?} must be a plain file name");
        }
        for dir in &self.template_dirs {
            let path = dir.join(name);
            if path.is_file() {
                return std::fs::read_to_string(&path).map_err(|err| {
                    anyhow::anyhow!("cannot read template {}: {err}", path.display())
                });
            }
        }
        BUILTIN_TEMPLATES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, text)| text.to_string())
            .ok_or_else(|| anyhow::anyhow!("no template named {name:?}"))
    }
}

fn convert_all(specs: &[StepSpec], what: &str) -> Result<Vec<Step>, (String, String)> {
    specs
        .iter()
        .enumerate()
        .map(|(index, spec)| {
            convert(spec)
                .map_err(|message| (format!(", {what} {} {:?}", index + 1, spec.name), message))
        })
        .collect()
}

fn convert(spec: &StepSpec) -> Result<Step, String> {
    let mut kinds: Vec<Action> = Vec::new();
    if let Some(s) = &spec.package {
        if s.names.is_empty() {
            return Err("package needs at least one name".into());
        }
        kinds.push(Action::Package(s.clone()));
    }
    if let Some(s) = &spec.file {
        if s.content.is_none() || s.src.is_some() {
            return Err("file needs `content` (use `template` for `src`)".into());
        }
        kinds.push(Action::File(s.clone()));
    }
    if let Some(s) = &spec.template {
        if s.src.is_none() || s.content.is_some() {
            return Err("template needs `src` (use `file` for `content`)".into());
        }
        kinds.push(Action::File(s.clone()));
    }
    for s in [&spec.file, &spec.template].into_iter().flatten() {
        let digits = s.mode.trim_start_matches('0');
        if s.mode.len() > 4 || !s.mode.chars().all(|c| ('0'..='7').contains(&c)) || digits.len() > 3
        {
            return Err(format!(
                "mode {:?} is not an octal mode like \"0644\"",
                s.mode
            ));
        }
    }
    if let Some(s) = &spec.selinux_boolean {
        kinds.push(Action::SelinuxBoolean(s.clone()));
    }
    if let Some(s) = &spec.firewall {
        if s.service.is_some() == s.port.is_some() {
            return Err("firewall needs exactly one of `service` or `port`".into());
        }
        kinds.push(Action::Firewall(s.clone()));
    }
    if let Some(s) = &spec.service {
        if s.state.is_none() && s.enabled.is_none() {
            return Err("service needs `state`, `enabled` or both".into());
        }
        kinds.push(Action::Service(s.clone()));
    }
    if let Some(s) = &spec.command {
        kinds.push(Action::Command(s.clone()));
    }
    if let Some(s) = &spec.http_check {
        kinds.push(Action::HttpCheck(s.clone()));
    }
    match spec.flush_handlers {
        Some(true) => kinds.push(Action::FlushHandlers),
        Some(false) => return Err("flush_handlers can only be true".into()),
        None => {}
    }

    if kinds.len() != 1 {
        return Err(format!(
            "needs exactly one of package, file, template, selinux_boolean, firewall, service, \
             command, http_check, flush_handlers (found {})",
            kinds.len()
        ));
    }
    Ok(Step {
        name: spec.name.clone(),
        when: spec.when.clone(),
        notify: spec.notify.values(),
        action: kinds.remove(0),
    })
}

/// ", line L, step N \"name\"" for a byte offset into playbook text.
fn locate(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let mut section: Option<(&str, usize, usize)> = None;
    let (mut steps, mut handlers) = (0, 0);
    for (start, raw) in line_starts(text) {
        if start > offset {
            break;
        }
        match raw.trim() {
            "[[steps]]" => {
                steps += 1;
                section = Some(("step", steps, start));
            }
            "[[handlers]]" => {
                handlers += 1;
                section = Some(("handler", handlers, start));
            }
            t if t.starts_with('[')
                && !t.starts_with("[steps.")
                && !t.starts_with("[handlers.") =>
            {
                section = None
            }
            _ => {}
        }
    }
    match section {
        Some((what, number, start)) => {
            let name = line_starts(&text[start..])
                .skip(1)
                .map(|(_, l)| l.trim())
                .take_while(|l| !l.starts_with("[["))
                .find_map(|l| l.strip_prefix("name").map(|r| r.trim_start()))
                .and_then(|r| r.strip_prefix('='))
                .map(|r| format!(" {}", r.trim()))
                .unwrap_or_default();
            format!(", line {line}, {what} {number}{name}")
        }
        None => format!(", line {line}"),
    }
}

fn line_starts(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut start = 0;
    text.split_inclusive('\n').map(move |line| {
        let at = start;
        start += line.len();
        (at, line)
    })
}

#[cfg(test)]
mod tests;
