//! Writing to standard output and standard error without panicking.
//!
//! `println!` panics when standard output is a closed pipe (`wenda ask … | head -c 100`).
//! [`outln!`] and [`out!`] return the error instead (as a [`wenda::Error::Io`] naming
//! `<stdout>`), to be passed up with `?`; `main` then ends quietly with status 0 when the
//! error is a broken pipe, as ripgrep does: the reader has all it wanted.
//!
//! [`errln!`] and [`err!`] write diagnostics to standard error and ignore failures: with
//! standard error gone there is no one left to tell, and the command's work and exit
//! status should not depend on it.

use std::io::{self, Write};

use wenda::Error;

/// `println!` that returns `Result<(), wenda::Error>` instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*).map_err($crate::out::stdout_error)
    }};
}

/// `print!` that returns `Result<(), wenda::Error>` instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout().lock(), $($arg)*).map_err($crate::out::stdout_error)
    }};
}

/// `eprintln!` that never panics (a failed write to standard error is ignored).
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ignored = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

/// `eprint!` that never panics, flushed (for prompts).
macro_rules! err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut stderr = std::io::stderr().lock();
        let _ignored = write!(stderr, $($arg)*).and_then(|()| stderr.flush());
    }};
}

/// A failed write to standard output, as a crate error.
pub fn stdout_error(e: io::Error) -> Error {
    Error::io("<stdout>", e)
}

/// Flushes standard output (what is still buffered when a command returns).
pub fn flush() -> Result<(), Error> {
    io::stdout().lock().flush().map_err(stdout_error)
}

/// Whether `e`, or an error it was caused by, is a broken pipe: the reader of the output
/// went away.
pub fn is_broken_pipe(e: &Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
        {
            return true;
        }
        cause = c.source();
    }
    false
}
