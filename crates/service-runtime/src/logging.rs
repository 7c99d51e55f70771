//! The process-wide tracing subscriber.
//!
//! Fields recorded by the services (`namespace`, `name`, `policy`, `disk_id`, `ecs_request_id`)
//! come out as JSON keys in the JSON format, so operators can filter on them.

use tracing::Subscriber;
use tracing_subscriber::{EnvFilter, fmt::MakeWriter};

use crate::{
    RuntimeError,
    args::{LogArgs, LogFormat},
};

/// Installs the global subscriber from `args`; call once, first thing in `main`.
///
/// # Errors
/// [`RuntimeError::LogFilter`] for a filter that is not env-filter syntax, and
/// [`RuntimeError::LoggingAlreadyInitialised`] on a second call.
pub fn init(args: &LogArgs) -> Result<(), RuntimeError> {
    use std::io::IsTerminal;

    let colours = std::io::stderr().is_terminal();
    let subscriber = build(args, std::io::stderr, colours)?;
    tracing::subscriber::set_global_default(subscriber)
        .map_err(|_| RuntimeError::LoggingAlreadyInitialised)
}

/// The subscriber [`init`] installs, writing to `writer` without terminal colours; public so
/// tests can capture what a service logs.
pub fn subscriber<W>(
    args: &LogArgs,
    writer: W,
) -> Result<Box<dyn Subscriber + Send + Sync>, RuntimeError>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    build(args, writer, false)
}

fn build<W>(
    args: &LogArgs,
    writer: W,
    colours: bool,
) -> Result<Box<dyn Subscriber + Send + Sync>, RuntimeError>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(&args.log_level).map_err(|e| RuntimeError::LogFilter {
        value: args.log_level.clone(),
        reason: e.to_string(),
    })?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(colours);

    Ok(match args.log_format {
        LogFormat::Json => Box::new(builder.json().flatten_event(true).finish()),
        LogFormat::Text => Box::new(builder.finish()),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn capture(args: &LogArgs, emit: impl FnOnce()) -> String {
        let out = Capture::default();
        let writer = out.clone();
        let subscriber = subscriber(args, move || writer.clone()).unwrap();
        tracing::subscriber::with_default(subscriber, emit);
        String::from_utf8(out.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn json_lines_carry_structured_fields_and_respect_the_filter() {
        let args = LogArgs {
            log_level: "info".into(),
            log_format: LogFormat::Json,
        };
        let out = capture(&args, || {
            tracing::info!(policy = "nightly", disk_id = "d-1", "policy applied");
            tracing::debug!("filtered out");
        });
        let lines: Vec<_> = out.lines().collect();
        assert_eq!(lines.len(), 1, "{out}");
        let line: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(line["policy"], "nightly");
        assert_eq!(line["disk_id"], "d-1");
        assert_eq!(line["message"], "policy applied");
        assert_eq!(line["level"], "INFO");
    }

    #[test]
    fn text_format_and_per_target_filters() {
        let args = LogArgs {
            log_level: "warn,service_runtime=debug".into(),
            log_format: LogFormat::Text,
        };
        let out = capture(&args, || tracing::debug!(name = "web-0", "visible"));
        assert!(
            out.contains("visible") && out.contains("name=\"web-0\""),
            "{out}"
        );
        assert!(serde_json::from_str::<serde_json::Value>(out.trim()).is_err());
    }

    #[test]
    fn a_bad_filter_is_an_error_naming_it() {
        let args = LogArgs {
            log_level: "info,[".into(),
            log_format: LogFormat::Json,
        };
        let err = subscriber(&args, std::io::sink)
            .err()
            .expect("invalid filter");
        assert!(err.to_string().contains("\"info,[\""), "{err}");
    }
}
