use std::process::ExitCode;

fn main() -> ExitCode {
    sociale_kaart::cli::run()
}
