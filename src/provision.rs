//! Provisioning a host from playbooks kept as data: facts, steps, check mode with diffs,
//! handlers, and the audit log. Runs over [`crate::ssh`].
