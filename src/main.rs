//! The `capstan` binary: parses the command line and hands over to [`capstan::cli`].

use std::process::ExitCode;

fn main() -> ExitCode {
    capstan::cli::main()
}
