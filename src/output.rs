//! Standard output for the commands: like `print!`, but a closed pipe (`montecell … | head`)
//! ends the process quietly, as command-line tools do, instead of panicking.

use std::fmt;
use std::io::{ErrorKind, Write};

/// Writes to standard output; on a closed pipe exits with success, on any other failure with
/// a one-line error.
pub(crate) fn write(args: fmt::Arguments<'_>, newline: bool) {
    let mut out = std::io::stdout().lock();
    let written = out.write_fmt(args).and_then(|()| if newline { out.write_all(b"\n") } else { Ok(()) });
    if let Err(e) = written {
        if e.kind() == ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        #[allow(clippy::print_stderr)]
        {
            eprintln!("error: cannot write the output: {e}");
        }
        std::process::exit(1);
    }
}

/// `print!` to standard output through [`write`].
macro_rules! out {
    ($($t:tt)*) => { $crate::output::write(format_args!($($t)*), false) };
}

/// `println!` to standard output through [`write`].
macro_rules! outln {
    () => { $crate::output::write(format_args!(""), true) };
    ($($t:tt)*) => { $crate::output::write(format_args!($($t)*), true) };
}

pub(crate) use {out, outln};
