//! OpenSSH host patterns: `*` and `?` wildcards, `!` negation, as used by `Host` lines of
//! `~/.ssh/config` and by the host field of known_hosts.

/// Whether `host` matches one wildcard pattern (`*` any run, `?` one character), ignoring
/// ASCII case as OpenSSH does for host names.
pub(crate) fn matches(pattern: &str, host: &str) -> bool {
    let pattern: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let host: Vec<char> = host.to_ascii_lowercase().chars().collect();

    // Iterative glob match with backtracking to the last `*`.
    let (mut p, mut h) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while h < host.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, h));
                p += 1;
            }
            Some(&c) if c == '?' || c == host[h] => {
                p += 1;
                h += 1;
            }
            _ => match star {
                Some((star_p, star_h)) => {
                    p = star_p + 1;
                    h = star_h + 1;
                    star = Some((star_p, star_h + 1));
                }
                None => return false,
            },
        }
    }

    pattern[p..].iter().all(|&c| c == '*')
}

/// Whether `host` matches a list of patterns: false if any negated pattern (`!pat`) matches,
/// otherwise true if any plain pattern matches.
pub(crate) fn matches_list<'a>(patterns: impl IntoIterator<Item = &'a str>, host: &str) -> bool {
    let mut matched = false;
    for pattern in patterns {
        match pattern.strip_prefix('!') {
            Some(negated) if matches(negated, host) => return false,
            Some(_) => {}
            None => matched |= matches(pattern, host),
        }
    }
    matched
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_like_openssh() {
        assert!(matches("*", "web1"));
        assert!(matches("web*", "web1.example.com"));
        assert!(matches("*.example.com", "web1.example.com"));
        assert!(matches("web?", "web1"));
        assert!(matches("WEB1", "web1"));
        assert!(matches("[127.0.0.1]:2222", "[127.0.0.1]:2222"));
        assert!(!matches("web?", "web12"));
        assert!(!matches("*.example.com", "example.com"));
        assert!(!matches("db*", "web1"));
        assert!(matches("a*b*c", "axxbyyc"));
        assert!(!matches("a*b*c", "axxbyy"));
    }

    #[test]
    fn a_matching_negation_wins_over_any_plain_match() {
        assert!(matches_list(
            ["*.example.com", "!bastion.example.com"],
            "web.example.com"
        ));
        assert!(!matches_list(
            ["*.example.com", "!bastion.example.com"],
            "bastion.example.com"
        ));
        assert!(!matches_list(["!web1"], "web2"));
    }
}
