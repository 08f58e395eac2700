//! Facts about a host, gathered in one round trip: one script prints `key=value` lines.

use anyhow::Context;
use serde::Serialize;

use super::Remote;

/// The script that prints the facts; runs as root with POSIX `sh`.
///
/// The SELinux and firewalld probes use the same commands a sysadmin would: `getenforce` (absent
/// means disabled) and `firewall-cmd --state`.
pub const SCRIPT: &str = r#"( [ -r /etc/os-release ] && . /etc/os-release
  echo "os_id=${ID:-unknown}"; echo "os_like=${ID_LIKE:-}"; echo "os_version=${VERSION_ID:-}" )
if command -v dnf >/dev/null 2>&1; then echo package_manager=dnf
elif command -v yum >/dev/null 2>&1; then echo package_manager=yum
elif command -v apt-get >/dev/null 2>&1; then echo package_manager=apt
else echo package_manager=none; fi
if [ -d /run/systemd/system ]; then echo init=systemd; else echo init=sysv; fi
if command -v getenforce >/dev/null 2>&1; then
  echo "selinux=$(getenforce 2>/dev/null || echo Disabled)"
else echo selinux=Disabled; fi
if command -v firewall-cmd >/dev/null 2>&1 && firewall-cmd --state >/dev/null 2>&1; then
  echo firewalld=running; else echo firewalld=stopped; fi
ws=none; pidfile=/nonexistent
if command -v rpm >/dev/null 2>&1; then
  if rpm -q httpd >/dev/null 2>&1; then ws=httpd; pidfile=/run/httpd/httpd.pid; fi
elif command -v dpkg-query >/dev/null 2>&1; then
  if dpkg-query -W -f='${Status}' apache2 2>/dev/null | grep -q 'ok installed'; then
    ws=apache2; pidfile=/run/apache2/apache2.pid; fi
fi
echo "web_server=$ws"
if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  echo web_server_running=yes; else echo web_server_running=no; fi
echo "login_user=${SUDO_USER:-$(id -un)}"
"#;

/// What steps and `when` conditions need to know about a host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Facts {
    /// `ID` from `/etc/os-release` ("rhel", "centos", "debian", ...).
    pub os_id: String,
    /// "rhel" (RHEL, CentOS, Rocky, Alma, Fedora), "debian" (Debian, Ubuntu) or "other".
    pub os_family: String,
    /// `VERSION_ID` from `/etc/os-release`.
    pub os_version: String,
    /// "dnf", "yum", "apt" or "none".
    pub package_manager: String,
    /// "systemd" when `/run/systemd/system` exists, else "sysv" (the `service` command).
    pub init: String,
    /// "enforcing", "permissive" or "disabled".
    pub selinux: String,
    /// True when `firewall-cmd --state` says running.
    pub firewalld: bool,
    /// "httpd", "apache2" or "none": the web server package that is installed.
    pub web_server: String,
    pub web_server_running: bool,
    /// The user Capstan logged in as (before sudo).
    pub login_user: String,
}

impl Facts {
    /// Gathers the facts of the host behind `remote` in one round trip.
    pub async fn gather<R: Remote>(remote: &R) -> anyhow::Result<Facts> {
        let host = remote.host().to_string();
        let out = remote
            .run(SCRIPT, None)
            .await
            .with_context(|| format!("failed to gather facts on {host}"))?;
        if !out.success() {
            anyhow::bail!(
                "failed to gather facts on {host}: exit status {}: {}",
                out.status,
                out.message()
            );
        }
        Ok(Facts::parse(&host, &String::from_utf8_lossy(&out.stdout))?)
    }

    /// Parses the facts script's output; every line must be a known `key=value`.
    pub fn parse(host: &str, text: &str) -> Result<Facts, FactsError> {
        let mut fields: std::collections::BTreeMap<&str, String> = Default::default();
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let bad = || FactsError::Malformed {
                host: host.to_string(),
                line: index + 1,
                text: line.to_string(),
            };
            let (key, value) = line.split_once('=').ok_or_else(bad)?;
            if !KEYS.contains(&key) {
                return Err(bad());
            }
            fields.insert(key, value.trim().to_string());
        }

        let mut take = |key: &'static str| {
            fields.remove(key).ok_or(FactsError::Missing {
                host: host.to_string(),
                key,
            })
        };
        let os_id = take("os_id")?;
        let os_like = take("os_like")?;
        let os_family = family(&os_id, &os_like).to_string();
        let selinux = take("selinux")?.to_ascii_lowercase();
        if !["enforcing", "permissive", "disabled"].contains(&selinux.as_str()) {
            return Err(FactsError::Value {
                host: host.to_string(),
                key: "selinux",
                value: selinux,
            });
        }

        Ok(Facts {
            os_id,
            os_family,
            os_version: take("os_version")?,
            package_manager: take("package_manager")?,
            init: take("init")?,
            selinux,
            firewalld: take("firewalld")? == "running",
            web_server: take("web_server")?,
            web_server_running: take("web_server_running")? == "yes",
            login_user: take("login_user")?,
        })
    }

    /// One line for people: "rhel 9.4 (dnf, systemd), SELinux enforcing, firewalld running".
    pub fn summary(&self) -> String {
        format!(
            "{} {} ({}, {}), SELinux {}, firewalld {}, web server {}{}",
            self.os_id,
            self.os_version,
            self.package_manager,
            self.init,
            self.selinux,
            if self.firewalld {
                "running"
            } else {
                "not running"
            },
            self.web_server,
            if self.web_server_running {
                " (running)"
            } else {
                ""
            },
        )
    }
}

const KEYS: &[&str] = &[
    "os_id",
    "os_like",
    "os_version",
    "package_manager",
    "init",
    "selinux",
    "firewalld",
    "web_server",
    "web_server_running",
    "login_user",
];

fn family(id: &str, like: &str) -> &'static str {
    let words: Vec<&str> = std::iter::once(id).chain(like.split_whitespace()).collect();
    let any = |names: &[&str]| words.iter().any(|w| names.contains(w));
    if any(&["rhel", "centos", "fedora", "rocky", "almalinux", "ol"]) {
        "rhel"
    } else if any(&["debian", "ubuntu"]) {
        "debian"
    } else {
        "other"
    }
}

/// Facts output that cannot be trusted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FactsError {
    #[error("malformed facts from {host}, line {line}: {text:?}")]
    Malformed {
        host: String,
        line: usize,
        text: String,
    },
    #[error("facts from {host} lack {key}")]
    Missing { host: String, key: &'static str },
    #[error("facts from {host}: unexpected {key} value {value:?}")]
    Value {
        host: String,
        key: &'static str,
        value: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    const RHEL: &str = "os_id=rhel\nos_like=fedora\nos_version=9.4\npackage_manager=dnf\n\
        init=systemd\nselinux=Enforcing\nfirewalld=running\nweb_server=none\n\
        web_server_running=no\nlogin_user=deploy\n";

    #[test]
    fn rhel_facts_parse_into_the_rhel_family() {
        let facts = Facts::parse("web1", RHEL).unwrap();
        assert_eq!(facts.os_family, "rhel");
        assert_eq!(facts.os_version, "9.4");
        assert_eq!(facts.selinux, "enforcing");
        assert!(facts.firewalld);
        assert!(!facts.web_server_running);
        assert_eq!(facts.login_user, "deploy");
    }

    #[test]
    fn ubuntu_is_in_the_debian_family_and_centos_in_rhel() {
        assert_eq!(family("ubuntu", "debian"), "debian");
        assert_eq!(family("centos", "rhel fedora"), "rhel");
        assert_eq!(family("rocky", ""), "rhel");
        assert_eq!(family("alpine", ""), "other");
    }

    #[test]
    fn malformed_line_is_an_error_naming_host_and_line() {
        let text = RHEL.replace("init=systemd\n", "init systemd\n");
        let err = Facts::parse("web1", &text).unwrap_err();
        assert_eq!(
            err,
            FactsError::Malformed {
                host: "web1".into(),
                line: 5,
                text: "init systemd".into()
            }
        );
        assert!(err.to_string().contains("web1, line 5"));
    }

    #[test]
    fn unknown_key_and_missing_key_are_errors() {
        let unknown = format!("{RHEL}color=blue\n");
        assert!(matches!(
            Facts::parse("h", &unknown),
            Err(FactsError::Malformed { line: 11, .. })
        ));
        let missing = RHEL.replace("selinux=Enforcing\n", "");
        assert_eq!(
            Facts::parse("h", &missing).unwrap_err(),
            FactsError::Missing {
                host: "h".into(),
                key: "selinux"
            }
        );
    }

    #[test]
    fn odd_selinux_mode_is_refused() {
        let text = RHEL.replace("selinux=Enforcing", "selinux=Sometimes");
        assert!(matches!(
            Facts::parse("h", &text),
            Err(FactsError::Value { .. })
        ));
    }
}
