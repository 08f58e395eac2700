//! The MariaDB readiness probe: log in with the app's credentials and run a query.

use std::net::IpAddr;
use std::time::Duration;

use mysql_async::prelude::Queryable;

/// Where and as whom to run the readiness query. The password never reaches a log or error.
#[derive(Clone)]
pub struct SqlTarget {
    pub host: IpAddr,
    pub port: u16,
    pub user: String,
    pub password: String,
    pub database: String,
}

impl std::fmt::Debug for SqlTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlTarget")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("database", &self.database)
            .finish_non_exhaustive()
    }
}

/// Connects, runs `SELECT 1` in the target database, and disconnects.
///
/// Errors are one line fit for a user: the server's refusal, a timeout, a wrong answer.
pub async fn sql_ready(target: &SqlTarget) -> Result<(), String> {
    let opts = mysql_async::OptsBuilder::default()
        .ip_or_hostname(target.host.to_string())
        .tcp_port(target.port)
        .user(Some(target.user.clone()))
        .pass(Some(target.password.clone()))
        .db_name(Some(target.database.clone()))
        .prefer_socket(false);

    let attempt = async {
        let mut conn = mysql_async::Conn::new(opts)
            .await
            .map_err(|err| err.to_string())?;
        let answer: Option<u8> = conn
            .query_first("SELECT 1")
            .await
            .map_err(|e| e.to_string())?;
        let _ = conn.disconnect().await;
        match answer {
            Some(1) => Ok(()),
            other => Err(format!("SELECT 1 answered {other:?}")),
        }
    };
    match tokio::time::timeout(Duration::from_secs(5), attempt).await {
        Ok(result) => result,
        Err(_) => Err(format!(
            "no answer from {}:{} within 5s",
            target.host, target.port
        )),
    }
}
