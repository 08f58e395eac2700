//! Naming a host: a target as the user writes it (`[user@]host[:port]`, or a `~/.ssh/config`
//! alias), and the destination it resolves to once `~/.ssh/config` has been applied.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use super::config::{expand_tilde, read_host_config};
use super::{SshEnv, SshError};

/// A host as the user names it: `[user@]host[:port]`, where `host` may be an alias from
/// `~/.ssh/config` and an IPv6 address is written in brackets (`[::1]:22`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
}

impl FromStr for Target {
    type Err = SshError;

    fn from_str(text: &str) -> Result<Target, SshError> {
        let bad = |reason: &str| SshError::Target {
            target: text.to_string(),
            reason: reason.to_string(),
        };

        let (user, rest) = match text.rsplit_once('@') {
            Some((user, rest)) => (Some(user), rest),
            None => (None, text),
        };
        let (host, port) = if let Some(bracketed) = rest.strip_prefix('[') {
            let (host, after) = bracketed
                .split_once(']')
                .ok_or_else(|| bad("missing `]`"))?;
            match after {
                "" => (host, None),
                _ => match after.strip_prefix(':') {
                    Some(port) => (host, Some(port)),
                    None => return Err(bad("expected `:port` after `]`")),
                },
            }
        } else {
            match rest.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (rest, None),
            }
        };

        if let Some(user) = user
            && (user.is_empty() || user.contains(char::is_whitespace))
        {
            return Err(bad("the user name is empty or has spaces"));
        }
        if host.is_empty() || host.starts_with('-') || host.contains(char::is_whitespace) {
            return Err(bad("the host name is empty, has spaces or starts with `-`"));
        }
        let port = match port {
            Some(port) => Some(
                port.parse::<u16>()
                    .ok()
                    .filter(|port| *port != 0)
                    .ok_or_else(|| bad("the port is not a number from 1 to 65535"))?,
            ),
            None => None,
        };

        Ok(Target {
            user: user.map(str::to_string),
            host: host.to_string(),
            port,
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(user) = &self.user {
            write!(f, "{user}@")?;
        }
        match (self.host.contains(':'), self.port) {
            (true, Some(port)) => write!(f, "[{}]:{port}", self.host),
            (false, Some(port)) => write!(f, "{}:{port}", self.host),
            (_, None) => write!(f, "{}", self.host),
        }
    }
}

/// Where a connection goes: the target with `~/.ssh/config` applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// The host as the user named it (alias or address): used in messages.
    pub name: String,
    /// The address to connect to (`HostName`, else the name); known_hosts is looked up by it.
    pub host_name: String,
    pub port: u16,
    pub user: String,
    /// Key files from `IdentityFile`, expanded, in order. The defaults are not included.
    pub identity_files: Vec<PathBuf>,
}

impl Destination {
    /// Applies `~/.ssh/config` to `target`. The target's own user and port win over the
    /// config's; the login user falls back to the local user, the port to 22.
    pub fn resolve(target: &Target, env: &SshEnv) -> Result<Destination, SshError> {
        let ssh_dir = env.home.join(".ssh");
        let config = read_host_config(&env.ssh_config, &ssh_dir, &target.host)?;

        let host_name = match &config.host_name {
            Some(name) => name.replace("%h", &target.host).replace("%%", "%"),
            None => target.host.clone(),
        };
        let port = target.port.or(config.port).unwrap_or(22);
        let user = target
            .user
            .clone()
            .or(config.user)
            .or_else(|| env.local_user.clone())
            .ok_or_else(|| SshError::NoUser {
                host: target.host.clone(),
            })?;

        let local_user = env.local_user.as_deref().unwrap_or("");
        let identity_files = config
            .identity_files
            .iter()
            .map(|file| {
                let file = expand_percent(file, &env.home, &host_name, &target.host, port, &user)
                    .replace("%u", local_user);
                expand_tilde(&file, &env.home)
            })
            .collect();

        Ok(Destination {
            name: target.host.clone(),
            host_name,
            port,
            user,
            identity_files,
        })
    }
}

/// Expands the `IdentityFile` tokens `%d %h %n %p %r %%` (`%u` is left to the caller).
fn expand_percent(
    value: &str,
    home: &std::path::Path,
    host_name: &str,
    original: &str,
    port: u16,
    user: &str,
) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('d') => out.push_str(&home.to_string_lossy()),
            Some('h') => out.push_str(host_name),
            Some('n') => out.push_str(original),
            Some('p') => out.push_str(&port.to_string()),
            Some('r') => out.push_str(user),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(text: &str) -> Target {
        text.parse().unwrap()
    }

    #[test]
    fn targets_parse_user_host_and_port() {
        assert_eq!(
            target("deploy@web1:2222"),
            Target {
                user: Some("deploy".into()),
                host: "web1".into(),
                port: Some(2222)
            }
        );
        assert_eq!(
            target("web1"),
            Target {
                user: None,
                host: "web1".into(),
                port: None
            }
        );
        assert_eq!(
            target("root@[::1]:22"),
            Target {
                user: Some("root".into()),
                host: "::1".into(),
                port: Some(22)
            }
        );
        assert_eq!(target("deploy@web1:2222").to_string(), "deploy@web1:2222");
        assert_eq!(target("[::1]:22").to_string(), "[::1]:22");
    }

    #[test]
    fn bad_targets_are_refused_with_a_reason() {
        for bad in [
            "",
            "@web1",
            "deploy@",
            "web1:0",
            "web1:http",
            "web1:70000",
            "[::1",
            "-oX",
        ] {
            let err = bad.parse::<Target>().unwrap_err();
            assert!(matches!(err, SshError::Target { .. }), "{bad:?} gave {err}");
        }
    }
}
