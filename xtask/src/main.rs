//! Repository automation (`cargo xtask ci`, `cargo xtask fuzz`): what CI runs, in Rust.
//!
//! A plain std-only binary so that it builds in seconds on a fresh clone. Arguments are parsed
//! by hand; every external tool is run with `stdin` closed and its output passed through.

// A command-line tool talks to its user on stdout and stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod ci;
mod cmd;
mod fuzz;
mod json;
mod meta;
mod postgres;
mod tidy;

use std::process::ExitCode;

use crate::cmd::Error;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  ci [--skip STEP[,STEP...]]... [--fuzz-seconds N]
        run what CI runs, in order, stopping at the first failure:
        fmt, tidy, clippy, test, doc, features, package, deny,
        fuzz (smoke run of every fuzz target, 15 s each)
  fuzz TARGET [--seconds N] [-- LIBFUZZER_ARGS...]
        fuzz one target for N seconds (default 600; 0 = until stopped), seeded from and
        adding new inputs to fuzz/corpus/TARGET/
  help  print this text
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match parse(&args).and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What the command line asked for.
#[derive(Debug, PartialEq, Eq)]
enum Task {
    Help,
    Ci(ci::Options),
    Fuzz(fuzz::Options),
}

fn run(task: Task) -> Result<(), Error> {
    match task {
        Task::Help => {
            print!("{USAGE}");
            Ok(())
        }
        Task::Ci(opts) => ci::run(&opts),
        Task::Fuzz(opts) => fuzz::run_one(&opts),
    }
}

fn parse(args: &[String]) -> Result<Task, Error> {
    let Some((command, rest)) = args.split_first() else {
        return Ok(Task::Help);
    };
    match command.as_str() {
        "help" | "-h" | "--help" => Ok(Task::Help),
        "ci" => parse_ci(rest).map(Task::Ci),
        "fuzz" => parse_fuzz(rest).map(Task::Fuzz),
        other => Err(Error::new(format!("unknown command `{other}`\n\n{USAGE}"))),
    }
}

fn parse_ci(args: &[String]) -> Result<ci::Options, Error> {
    let mut opts = ci::Options::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--skip" => {
                for name in value(&mut it, "--skip")?.split(',') {
                    let step = ci::Step::from_name(name.trim()).ok_or_else(|| {
                        Error::new(format!(
                            "unknown step `{name}` (steps: {})",
                            ci::Step::names()
                        ))
                    })?;
                    opts.skip.push(step);
                }
            }
            "--fuzz-seconds" => match number(&mut it, "--fuzz-seconds")? {
                0 => return Err(Error::new("--fuzz-seconds must be at least 1")),
                n => opts.fuzz_seconds = n,
            },
            other => return Err(Error::new(format!("unknown argument `{other}` for ci"))),
        }
    }
    Ok(opts)
}

fn parse_fuzz(args: &[String]) -> Result<fuzz::Options, Error> {
    let mut target = None;
    let mut seconds = fuzz::DEFAULT_SECONDS;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--seconds" => seconds = number(&mut it, "--seconds")?,
            "--" => break,
            flag if flag.starts_with('-') => {
                return Err(Error::new(format!("unknown argument `{flag}` for fuzz")));
            }
            name if target.is_none() => target = Some(name.to_owned()),
            extra => {
                return Err(Error::new(format!(
                    "unexpected argument `{extra}` for fuzz"
                )));
            }
        }
    }
    let target = target.ok_or_else(|| Error::new("fuzz needs a TARGET (see `cargo fuzz list`)"))?;
    Ok(fuzz::Options {
        target,
        seconds,
        libfuzzer_args: it.cloned().collect(),
    })
}

fn value<'a>(it: &mut impl Iterator<Item = &'a String>, flag: &str) -> Result<&'a str, Error> {
    it.next()
        .map(String::as_str)
        .ok_or_else(|| Error::new(format!("{flag} needs a value")))
}

fn number<'a>(it: &mut impl Iterator<Item = &'a String>, flag: &str) -> Result<u64, Error> {
    let v = value(it, flag)?;
    v.parse()
        .map_err(|_| Error::new(format!("{flag} needs a whole number of seconds, got `{v}`")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ci::Step;

    fn parse_str(line: &str) -> Result<Task, Error> {
        let args: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
        parse(&args)
    }

    #[test]
    fn no_arguments_prints_help() {
        assert_eq!(parse_str("").unwrap(), Task::Help);
    }

    #[test]
    fn ci_takes_repeated_and_comma_separated_skips() {
        let Task::Ci(opts) = parse_str("ci --skip fuzz --skip deny,doc").unwrap() else {
            panic!("not ci");
        };
        assert_eq!(opts.skip, [Step::Fuzz, Step::Deny, Step::Doc]);
        assert_eq!(opts.fuzz_seconds, ci::SMOKE_SECONDS);
    }

    #[test]
    fn ci_rejects_unknown_steps_and_arguments() {
        assert!(parse_str("ci --skip lint").is_err());
        assert!(parse_str("ci --skip").is_err());
        assert!(parse_str("ci --fast").is_err());
        assert!(parse_str("ci --fuzz-seconds soon").is_err());
        assert!(parse_str("ci --fuzz-seconds 0").is_err());
    }

    #[test]
    fn fuzz_takes_a_target_seconds_and_libfuzzer_arguments() {
        let Task::Fuzz(opts) = parse_str("fuzz xml_decode --seconds 30 -- -jobs=2").unwrap() else {
            panic!("not fuzz");
        };
        assert_eq!(opts.target, "xml_decode");
        assert_eq!(opts.seconds, 30);
        assert_eq!(opts.libfuzzer_args, ["-jobs=2"]);
    }

    #[test]
    fn fuzz_needs_exactly_one_target() {
        assert!(parse_str("fuzz").is_err());
        assert!(parse_str("fuzz a b").is_err());
        assert!(parse_str("fuzz --seconds 5").is_err());
        let Task::Fuzz(opts) = parse_str("fuzz verify").unwrap() else {
            panic!("not fuzz");
        };
        assert_eq!(opts.seconds, fuzz::DEFAULT_SECONDS);
    }

    #[test]
    fn unknown_command_is_an_error() {
        assert!(parse_str("bench").is_err());
    }
}
