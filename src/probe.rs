//! Readiness probes: a real SQL query against MariaDB, an HTTP GET against an endpoint.
