//! The `montecell` command. Everything it does lives in the library (`montecell::cli`).

/// mimalloc keeps the memory a simulation frees for the next allocation on any thread, where
/// the system allocator returns large blocks to the kernel and takes fresh zeroed pages again.
/// Built without transparent huge pages (`no_thp`): with them, one run in three on the
/// benchmark VM took 2.5× longer (faulting and zeroing 2 MiB pages).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    montecell::cli::main()
}
