//! `trafficlens generate`: write synthetic regional traffic, an access log or a network's
//! conn.log (and capture), and their labels.

use std::path::PathBuf;

use super::args::{DateFormatArg, GenerateArgs};
use super::CliError;
use crate::export::{OutputPlan, Target, STDOUT};
use crate::generate::access_log::{generate_log, Attack, LogGeneratorConfig};
use crate::generate::contextual::check_step;
use crate::generate::network::{generate_network, NetworkConfig, NetworkWriteError};
use crate::generate::table::{check_time_range, generate, AnomalyKind, DateStyle, GeneratorConfig};
use crate::terminal::eprintln;

/// Runs the subcommand.
pub fn run(args: &GenerateArgs) -> Result<(), CliError> {
    let labels_path = match &args.labels {
        Some(p) => p.clone(),
        None if args.out.as_os_str() == STDOUT => return Err(CliError::Usage(
            "--out - writes the data to standard output; give the labels file with --labels FILE"
                .into(),
        )),
        None => labels_path_for(&args.out),
    };
    // Both outputs are checked before either is written.
    let mut plan = OutputPlan::new(&[], args.force);
    let data = plan.output(&args.out)?;
    let labels = plan.output(&labels_path)?;
    if args.network {
        let pcap = match &args.pcap {
            Some(p) => Some(plan.output(p)?),
            None => None,
        };
        return network(args, &data, &labels, pcap.as_ref());
    }
    if args.access_log {
        return access_log(args, &data, &labels);
    }
    let mut cfg = GeneratorConfig {
        regions: usize::from(args.regions),
        rows: args.rows,
        step_seconds: args.step,
        start: args.start,
        seed: args.seed,
        date_style: match args.date_format {
            DateFormatArg::Iso => DateStyle::Iso,
            DateFormatArg::Dmy => DateStyle::DayMonthYear,
        },
        anomaly_rate: args.anomaly_rate,
        contextual: args.contextual,
        ..GeneratorConfig::default()
    };
    if args.seed_shape {
        cfg = cfg.seed_shaped();
    }
    check_time_range(i128::from(cfg.start), cfg.last_time()).map_err(|e| {
        CliError::Usage(format!(
            "generate: {e}; choose another --start, a shorter --step or fewer --rows"
        ))
    })?;
    if cfg.contextual {
        check_step(cfg.step_seconds)
            .map_err(|e| CliError::Usage(format!("generate --contextual: {e}")))?;
    }
    let (data_target, labels_target) = (data, labels);
    let mut data = data_target.open()?;
    let mut labels = labels_target.open()?;
    let summary = match generate(&cfg, &mut data, &mut labels) {
        Ok(s) => s,
        Err(e) => return Err(data.error(e).into()),
    };
    data.commit()?;
    labels.commit()?;
    let events: Vec<String> = AnomalyKind::ALL
        .iter()
        .zip(summary.events)
        .filter(|(k, _)| cfg.contextual || !k.is_contextual())
        .map(|(k, n)| format!("{n} {}", k.label()))
        .collect();
    eprintln(format_args!(
        "wrote {} rows x {} regions to {} and {} labelled rows ({}) to {}",
        summary.rows,
        cfg.regions,
        data_target.name(),
        summary.anomalous_rows,
        events.join(", "),
        labels_target.name()
    ));
    Ok(())
}

/// `data.csv` -> `data_labels.csv`.
fn labels_path_for(out: &std::path::Path) -> PathBuf {
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    out.with_file_name(format!("{stem}_labels.csv"))
}

/// `generate --access-log`: a Combined Log Format log with labelled attacks.
fn access_log(
    args: &GenerateArgs,
    data_target: &Target,
    labels_target: &Target,
) -> Result<(), CliError> {
    let cfg = LogGeneratorConfig {
        days: args.days,
        clients: usize::try_from(args.clients).unwrap_or(usize::MAX),
        ddos_addresses: usize::try_from(args.ddos_addresses).unwrap_or(usize::MAX),
        start: args.start,
        seed: args.seed,
    };
    check_time_range(i128::from(cfg.start), cfg.last_time()).map_err(|e| {
        CliError::Usage(format!(
            "generate --access-log: {e}; choose another --start or fewer --days"
        ))
    })?;
    let gzip = args
        .out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    let mut data = data_target.open()?;
    let mut labels = labels_target.open()?;
    let result = if gzip {
        let mut enc = flate2::write::GzEncoder::new(&mut data, flate2::Compression::fast());
        generate_log(&cfg, &mut enc, &mut labels).and_then(|s| enc.finish().map(|_| s))
    } else {
        generate_log(&cfg, &mut data, &mut labels)
    };
    let summary = match result {
        Ok(s) => s,
        Err(e) => return Err(data.error(e).into()),
    };
    data.commit()?;
    labels.commit()?;
    let attacks: Vec<String> = Attack::ALL
        .iter()
        .zip(summary.attack_lines)
        .map(|(a, n)| format!("{} {n}", a.label()))
        .collect();
    eprintln(format_args!(
        "wrote {} lines from {} clients over {} days to {} (attack lines: {}) and the attackers to {}",
        summary.lines,
        summary.clients,
        cfg.days,
        data_target.name(),
        attacks.join(", "),
        labels_target.name()
    ));
    Ok(())
}

/// `generate --network`: a Zeek conn.log of an office network with labelled attacks, and with
/// `--pcap` the same connections as packets.
fn network(
    args: &GenerateArgs,
    data_target: &Target,
    labels_target: &Target,
    pcap_target: Option<&Target>,
) -> Result<(), CliError> {
    let cfg = NetworkConfig {
        days: args.days,
        workstations: usize::try_from(args.hosts).unwrap_or(usize::MAX),
        start: args.start,
        seed: args.seed,
    };
    check_time_range(i128::from(cfg.start), cfg.last_time()).map_err(|e| {
        CliError::Usage(format!(
            "generate --network: {e}; choose another --start or fewer --days"
        ))
    })?;
    let mut data = data_target.open()?;
    let mut labels = labels_target.open()?;
    let mut pcap = match pcap_target {
        Some(t) => Some(t.open()?),
        None => None,
    };
    let result = generate_network(
        &cfg,
        &mut data,
        &mut labels,
        pcap.as_mut().map(|p| p as &mut dyn std::io::Write),
    );
    let summary = match result {
        Ok(s) => s,
        Err(NetworkWriteError::Config) => {
            return Err(CliError::Usage(format!(
                "generate --network: {}",
                NetworkWriteError::Config
            )))
        }
        Err(NetworkWriteError::ConnLog(e)) => return Err(data.error(e).into()),
        Err(NetworkWriteError::Labels(e)) => return Err(labels.error(e).into()),
        Err(NetworkWriteError::Pcap(e)) => {
            return Err(match &pcap {
                Some(p) => p.error(e),
                None => data.error(e),
            }
            .into())
        }
    };
    data.commit()?;
    labels.commit()?;
    let mut capture = String::new();
    if let (Some(p), Some(t)) = (pcap, pcap_target) {
        p.commit()?;
        capture = format!(", {} packets to {}", summary.packets, t.name());
    }
    let attacks: Vec<String> = crate::generate::network::Attack::ALL
        .iter()
        .zip(summary.attack_connections)
        .map(|(a, n)| format!("{} {n}", a.label()))
        .collect();
    eprintln(format_args!(
        "wrote {} connections from {} hosts over {} days to {}{capture} (attack connections: {}) and the attackers to {}",
        summary.connections,
        summary.sources,
        cfg.days,
        data_target.name(),
        attacks.join(", "),
        labels_target.name()
    ));
    Ok(())
}
