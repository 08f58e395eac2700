//! POSIX shell quoting for command lines sent to a remote shell.

/// Quotes `word` as one argument for a POSIX shell: single quotes, with each `'` written as
/// `'\''`. Safe for any input, including empty strings, newlines and `$`.
pub fn quote(word: &str) -> String {
    let mut quoted = String::with_capacity(word.len() + 2);
    quoted.push('\'');
    for c in word.chars() {
        if c == '\'' {
            quoted.push_str("'\\''");
        } else {
            quoted.push(c);
        }
    }
    quoted.push('\'');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_wraps_in_single_quotes_and_escapes_them() {
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote("$HOME `id`"), "'$HOME `id`'");
    }

    proptest::proptest! {
        #[test]
        fn the_shell_reads_back_exactly_the_quoted_word(word in "[^\\x00]{0,40}") {
            let output = std::process::Command::new("sh")
                .arg("-c")
                .arg(format!("printf %s {}", quote(&word)))
                .output()
                .expect("sh runs on every machine that runs these tests");
            proptest::prop_assert_eq!(String::from_utf8_lossy(&output.stdout), word);
        }
    }
}
