//! SSH connections to hosts (russh): `~/.ssh/config`, host key verification against known_hosts,
//! agent and key authentication, command execution with `sudo -n`.
