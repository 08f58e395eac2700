//! Integration tests of the person app (`capstan serve`): the router without a socket, round
//! trips against the real MariaDB test server (`CAPSTAN_TEST_MYSQL`, started by `scripts/test`),
//! the static and proxy roles over real sockets, and the real binary receiving SIGTERM.

#[path = "app/database.rs"]
mod database;
#[path = "app/process.rs"]
mod process;
#[path = "app/router.rs"]
mod router;
#[path = "app/static_proxy.rs"]
mod static_proxy;
#[path = "app/support.rs"]
mod support;
