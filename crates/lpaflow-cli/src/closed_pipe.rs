//! A reader that stops early (`lpaflow audit heads | head -3`) closes the pipe under the command. Rust ignores
//! `SIGPIPE`, so the next write fails and `println!` panics ("failed printing to stdout: Broken pipe"), which
//! printed a panic and exited 101. Like other command-line tools, lpaflow then stops quietly instead: the
//! reader has what it wanted. Any other panic is reported as before.

/// Installs the panic hook that turns a write to a closed stdout into a quiet exit (status 0).
pub fn stop_quietly_when_stdout_closes() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        report(info);
    }));
}
