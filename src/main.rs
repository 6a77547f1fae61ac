use std::process::ExitCode;

/// mimalloc: the index build allocates and frees millions of small strings, and a long-running
/// server should hand freed memory back; measured in docs/performance.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    sociale_kaart::cli::run()
}
