//! Masking secrets in everything Capstan shows or records: output, diffs, the audit log.

/// What a secret is replaced with.
pub const MASK: &str = "********";

/// Replaces every known secret value in text with [`MASK`].
#[derive(Debug, Clone, Default)]
pub struct Masker {
    /// Longest first, so a secret that contains another is masked whole.
    secrets: Vec<String>,
}

impl Masker {
    /// A masker for these secret values; empty values are ignored (they would match everywhere).
    pub fn new<I: IntoIterator<Item = String>>(secrets: I) -> Masker {
        let mut secrets: Vec<String> = secrets.into_iter().filter(|s| !s.is_empty()).collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Masker { secrets }
    }

    pub fn mask(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), MASK);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_replaces_every_occurrence_of_every_secret() {
        let masker = Masker::new(["hunter2".to_string(), "s3cr3t".to_string()]);
        assert_eq!(
            masker.mask("a hunter2 b s3cr3t c hunter2"),
            "a ******** b ******** c ********"
        );
    }

    #[test]
    fn mask_prefers_the_longest_secret_when_one_contains_another() {
        let masker = Masker::new(["abc".to_string(), "abcdef".to_string()]);
        assert_eq!(masker.mask("xabcdefx"), "x********x");
    }

    #[test]
    fn empty_secret_masks_nothing() {
        let masker = Masker::new([String::new()]);
        assert_eq!(masker.mask("plain"), "plain");
    }
}
