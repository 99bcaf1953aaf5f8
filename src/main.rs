//! The `montecell` command. Everything it does lives in the library (`montecell::cli`).

fn main() -> std::process::ExitCode {
    montecell::cli::main()
}
