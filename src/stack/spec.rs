//! The stack file: its serde model, validation, and the bring-up order of its services.
//!
//! Pure data: nothing here talks to the engine, the network or the disk (the caller reads the
//! file). Must not import `engine`, `probe` or `ops`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The stack file Capstan embeds: the person app, its database and its frontend.
pub const DEFAULT_STACK: &str = include_str!("../../assets/stack.toml");

/// A whole stack as its file describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackSpec {
    /// The stack's name: labels, the network, volumes and container names derive from it.
    pub name: String,
    pub services: BTreeMap<String, ServiceSpec>,
}

/// One service: what it runs, what it needs, how Capstan knows it is ready.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    /// An image to run as is (pulled when missing), e.g. `mariadb:10.11`.
    #[serde(default)]
    pub image: Option<String>,
    /// An image to build from `assets/images/<build>/` (`api` or `frontend`).
    #[serde(default)]
    pub build: Option<String>,
    /// Replaces the image's command.
    #[serde(default)]
    pub command: Vec<String>,
    /// Services that must be ready before this one starts.
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// Plain environment values. Never a secret: secrets reach containers as files.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Generated secrets this service reads, each at `/run/secrets/<name>`.
    #[serde(default)]
    pub secrets: Vec<String>,
    /// The user that owns the secret files inside the container (numeric uid).
    #[serde(default)]
    pub secrets_uid: u32,
    /// Named volumes: volume name (within the stack) → mount path in the container.
    #[serde(default)]
    pub volumes: BTreeMap<String, String>,
    /// The one port this service publishes on the host.
    #[serde(default)]
    pub publish: Option<Publish>,
    pub ready: Ready,
    /// Seconds a stopping container gets between SIGTERM and SIGKILL.
    #[serde(default = "default_stop_grace")]
    pub stop_grace_secs: u64,
}

fn default_stop_grace() -> u64 {
    10
}

/// A container port published on a host port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Publish {
    pub container: u16,
    pub host: u16,
}

/// How Capstan decides a service is ready: exactly one of `sql` and `http`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ready {
    #[serde(default)]
    pub sql: Option<SqlCheck>,
    #[serde(default)]
    pub http: Option<HttpCheck>,
    /// How long the service may take to become ready after it starts.
    pub timeout_secs: u64,
}

impl Ready {
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }
}

/// A real query over the MariaDB protocol with the app's credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SqlCheck {
    #[serde(default = "default_sql_port")]
    pub port: u16,
    pub user: String,
    pub database: String,
    /// The name of the secret holding the user's password.
    pub password_secret: String,
}

fn default_sql_port() -> u16 {
    3306
}

/// HTTP GETs that must all answer 2xx: to the container's port, or through the published
/// port when the service publishes one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpCheck {
    pub port: u16,
    pub paths: Vec<String>,
}

/// A stack file that cannot be used, with what is wrong and where.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SpecError {
    #[error("stack file {file}: {message}")]
    Parse { file: String, message: String },
    #[error("stack file {file}: service `{service}`: {message}")]
    Service {
        file: String,
        service: String,
        message: String,
    },
    #[error(
        "stack file {file}: service `{service}` depends on `{missing}`, which is not a service"
    )]
    UnknownDependency {
        file: String,
        service: String,
        missing: String,
    },
    #[error("stack file {file}: dependency cycle: {}", cycle.join(" -> "))]
    Cycle { file: String, cycle: Vec<String> },
    #[error("stack file {file}: {message}")]
    Stack { file: String, message: String },
}

/// Parses and validates a stack file; `file` names it in every error.
pub fn parse(file: &str, text: &str) -> Result<StackSpec, SpecError> {
    let spec: StackSpec = toml::from_str(text).map_err(|err| SpecError::Parse {
        file: file.to_string(),
        message: err.to_string().trim_end().to_string(),
    })?;
    validate(file, &spec)?;
    Ok(spec)
}

fn validate(file: &str, spec: &StackSpec) -> Result<(), SpecError> {
    let stack_err = |message: String| SpecError::Stack {
        file: file.to_string(),
        message,
    };
    if !is_name(&spec.name) {
        return Err(stack_err(format!(
            "name `{}` must be 1-40 lowercase letters, digits or '-'",
            spec.name
        )));
    }
    if spec.services.is_empty() {
        return Err(stack_err("no services".to_string()));
    }

    for (name, service) in &spec.services {
        let fail = |message: String| SpecError::Service {
            file: file.to_string(),
            service: name.clone(),
            message,
        };
        if !is_name(name) {
            return Err(fail(
                "a service name is 1-40 lowercase letters, digits or '-'".into(),
            ));
        }
        match (&service.image, &service.build) {
            (Some(_), Some(_)) => return Err(fail("names both `image` and `build`".into())),
            (None, None) => return Err(fail("names neither `image` nor `build`".into())),
            _ => {}
        }
        match (&service.ready.sql, &service.ready.http) {
            (Some(_), Some(_)) => return Err(fail("`ready` has both `sql` and `http`".into())),
            (None, None) => return Err(fail("`ready` needs `sql` or `http`".into())),
            _ => {}
        }
        if let Some(sql) = &service.ready.sql
            && !service.secrets.contains(&sql.password_secret)
        {
            return Err(fail(format!(
                "`ready.sql.password_secret` names `{}`, which is not in `secrets`",
                sql.password_secret
            )));
        }
        if service.ready.timeout_secs == 0 {
            return Err(fail("`ready.timeout_secs` must be above 0".into()));
        }
        for secret in &service.secrets {
            if !is_secret_name(secret) {
                return Err(fail(format!(
                    "secret `{secret}` must be lowercase letters, digits or '_'"
                )));
            }
        }
        for key in service.env.keys() {
            if key.contains("PASSWORD") && !key.ends_with("_FILE") {
                return Err(fail(format!(
                    "`env.{key}` looks like a secret: list it in `secrets` and pass its file \
                     with `{key}_FILE = \"/run/secrets/...\"`"
                )));
            }
        }
        for volume in service.volumes.keys() {
            if !is_name(volume) {
                return Err(fail(format!("volume `{volume}` must be lowercase letters")));
            }
        }
        for dependency in &service.depends_on {
            if !spec.services.contains_key(dependency) {
                return Err(SpecError::UnknownDependency {
                    file: file.to_string(),
                    service: name.clone(),
                    missing: dependency.clone(),
                });
            }
        }
    }

    order(spec).map(|_| ()).map_err(|cycle| SpecError::Cycle {
        file: file.to_string(),
        cycle,
    })
}

/// The services in bring-up order: each after everything it depends on, ties by name.
///
/// Fails with the services of one cycle (first repeated at the end) when there is one.
pub fn order(spec: &StackSpec) -> Result<Vec<String>, Vec<String>> {
    let mut done: Vec<String> = Vec::new();
    let mut placed: BTreeSet<&str> = BTreeSet::new();

    while done.len() < spec.services.len() {
        let next = spec.services.iter().find(|(name, service)| {
            !placed.contains(name.as_str())
                && service
                    .depends_on
                    .iter()
                    .all(|dep| placed.contains(dep.as_str()))
        });
        match next {
            Some((name, _)) => {
                placed.insert(name);
                done.push(name.clone());
            }
            None => return Err(find_cycle(spec, &placed)),
        }
    }
    Ok(done)
}

/// Walks dependencies among unplaced services until one repeats; that loop is a cycle.
fn find_cycle(spec: &StackSpec, placed: &BTreeSet<&str>) -> Vec<String> {
    let Some(start) = spec
        .services
        .keys()
        .find(|name| !placed.contains(name.as_str()))
    else {
        return Vec::new();
    };
    let mut path: Vec<String> = vec![start.clone()];
    loop {
        let current = &path[path.len() - 1];
        let next = spec.services[current]
            .depends_on
            .iter()
            .find(|dep| !placed.contains(dep.as_str()) && spec.services.contains_key(*dep));
        let Some(next) = next else { return path };
        if let Some(at) = path.iter().position(|seen| seen == next) {
            let mut cycle = path[at..].to_vec();
            cycle.push(next.clone());
            return cycle;
        }
        path.push(next.clone());
    }
}

/// True for a valid stack, service or volume name: 1-40 lowercase letters, digits or '-'.
pub(crate) fn is_name(name: &str) -> bool {
    (1..=40).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
}

fn is_secret_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
#[path = "spec_tests.rs"]
mod tests;
