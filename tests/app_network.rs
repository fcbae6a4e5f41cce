//! The desktop app on network traffic, driven headless with egui_kittest: a connection log opens
//! on its ranked hosts, picking a host plots its connections over time above all connections,
//! and the view switches to traffic over time without reading the file again.

use std::sync::Arc;

use egui_kittest::kittest::Queryable;
use trafficlens::app::{DialogRequest, SavePurpose};
use trafficlens::data::access::LogView;
use trafficlens::data::formats::zeek::{HostSide, HostsTable};
use trafficlens::data::Source;

use crate::app::{harness, scored, step_until};
use crate::util::data;

#[test]
fn a_conn_log_opens_on_ranked_hosts_and_switches_to_traffic_without_reading_it_again() {
    // scripts/gen_conn_traffic_fixture.py: 41 hosts over ten days, one of them (10.0.1.66)
    // a port scanner.
    let mut h = harness(Source::File(data("zeek/traffic.log.gz")));
    step_until(&mut h, "the log to be scored", scored);
    h.get_by_label("41 hosts");
    h.get_by_label("Ranked hosts").click();
    h.step();
    h.step();
    h.get_by_label_contains("hosts, ");
    // In its table row and, for the host picked first (the top one), wrapped above the table.
    assert!(
        h.query_all_by_label_contains("vertical port scan: 600 ports of 10.0.0.5")
            .count()
            >= 1
    );
    h.get_by_label_contains("Why 10.0.1.66: vertical port scan");
    h.get_by_role_and_label(egui::Role::Button, "10.0.1.66")
        .click();
    h.step();
    h.step();
    h.get_by_label_contains("Connections of 10.0.1.66 per 1h");
    h.get_by_label("All connections per 1h");
    let picked = h.state().state.selected_client.expect("a host is picked");
    let net = network_on_screen(&h);
    let series = net.host_series(picked).expect("series");
    assert_eq!(series.iter().sum::<f64>(), 600.0, "the scan's connections");
    assert_eq!(series[7 * 24 + 3], 600.0, "all in one hour");

    h.get_by_label("Traffic over time").click();
    h.step();
    until_network(&mut h, "the traffic view", |n| n.view == LogView::Traffic);
    h.get_by_label("240 time buckets");
    let after = network_on_screen(&h);
    assert_connections_reused(&net, &after);
    // And back to the hosts.
    h.get_by_label("Hosts").click();
    h.step();
    until_network(&mut h, "the hosts view", |n| n.view == LogView::Clients);
    h.get_by_label("41 hosts");
}

#[test]
fn the_hosts_view_switches_to_destinations_and_back_from_the_connections_in_memory() {
    // The same fixture ranked by destination: 22 addresses are connected to, the scanned file
    // server 10.0.0.5 first (`trafficlens detect traffic.log.gz --by destination`).
    let mut h = harness(Source::File(data("zeek/traffic.log.gz")));
    step_until(&mut h, "the log to be scored", scored);
    h.get_by_label("41 hosts");
    let before = network_on_screen(&h);
    assert_eq!(before.side, HostSide::Source);
    h.get_by_label("Destinations").click();
    h.step();
    until_network(&mut h, "the destinations", |n| {
        n.side == HostSide::Destination
    });
    h.get_by_label("22 hosts");
    assert_eq!(
        h.state().state.persisted.log.hosts_by,
        HostSide::Destination
    );
    let after = network_on_screen(&h);
    assert_connections_reused(&before, &after);
    h.get_by_label("Ranked hosts").click();
    h.step();
    h.step();
    assert!(
        h.query_all_by_label_contains("port-scanned: 600 of its ports by 10.0.1.66")
            .count()
            >= 1
    );

    h.get_by_label("Sources").click();
    h.step();
    until_network(&mut h, "the sources", |n| n.side == HostSide::Source);
    h.get_by_label("41 hosts");
}

#[test]
fn export_writes_the_flagged_hosts_conn_log_lines() {
    let dir = crate::util::tempdir();
    let out = dir.path().join("flagged_hosts.log");
    let mut h = harness(Source::File(data("zeek/traffic.log.gz")));
    step_until(&mut h, "the log to be scored", scored);
    h.get_by_label("Ranked hosts").click();
    // The tab opens, then the panel picks its first host.
    h.step();
    h.step();
    export_through_dialog(
        &mut h,
        "Export flagged hosts' lines…",
        "traffic.log_flagged_hosts.log",
        &out,
    );
    // The flagged hosts' connections, counted in the table on screen, are the lines written.
    let app = h.state();
    let ds = app.state.dataset.as_ref().expect("table");
    let flags = &app.state.scores.as_ref().expect("scores").detection.flags;
    let connections: f64 = flags
        .iter()
        .enumerate()
        .filter(|(_, f)| **f)
        .map(|(r, _)| ds.columns[0][r])
        .sum();
    let written = std::fs::read_to_string(&out).expect("exported file");
    assert!(written.starts_with("#separator \\x09\n"));
    let data_lines = written.lines().filter(|l| !l.starts_with('#')).count();
    assert_eq!(data_lines as f64, connections);
    assert_eq!(
        written
            .lines()
            .filter(|l| l.split('\t').nth(1) == Some("10.0.1.66"))
            .count(),
        600
    );
}

#[test]
fn export_writes_a_pcap_of_the_flagged_hosts_packets() {
    let dir = crate::util::tempdir();
    crate::network_export::small_capture(dir.path());
    let out = dir.path().join("flagged.pcap");
    let mut h = harness(Source::File(dir.path().join("n.pcap")));
    step_until(&mut h, "the capture to be scored", scored);
    h.run_steps(3);
    h.get_by_label("Ranked hosts").click();
    h.run_steps(3);
    export_through_dialog(
        &mut h,
        "Export flagged hosts' packets…",
        "n_flagged_hosts.pcap",
        &out,
    );
    // Read back: the flagged hosts, with as many connections as on screen.
    let app = h.state();
    let ds = app.state.dataset.as_ref().expect("table");
    let flags = &app.state.scores.as_ref().expect("scores").detection.flags;
    let labels = ds.row_labels.as_ref().expect("hosts");
    let mut expected: Vec<(String, f64)> = flags
        .iter()
        .enumerate()
        .filter(|(_, f)| **f)
        .map(|(r, _)| (labels.values[r].clone(), ds.columns[0][r]))
        .collect();
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    let got: Vec<(String, f64)> = crate::network_export::hosts_of(&out)
        .into_iter()
        .map(|(host, values)| (host, values[0]))
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(got, expected);
}

/// Clicks `button`, checks the save dialog suggests `name`, answers `out` and waits for the
/// export.
fn export_through_dialog(
    h: &mut egui_kittest::Harness<'static, trafficlens::app::TrafficLensApp>,
    button: &str,
    name: &str,
    out: &std::path::Path,
) {
    let script = crate::app::script_dialogs(h);
    h.get_by_label(button).click();
    h.run_steps(2);
    assert_eq!(
        *script.requests.lock().expect("lock"),
        vec![DialogRequest::Save(SavePurpose::FlaggedLines, name.into())]
    );
    script.answer.send(Some(out.to_path_buf())).expect("answer");
    step_until(h, "the export", |a| {
        a.state
            .export_note
            .as_deref()
            .is_some_and(|n| n.starts_with("Wrote"))
    });
}

/// The network table on screen.
fn network_on_screen(
    h: &egui_kittest::Harness<'static, trafficlens::app::TrafficLensApp>,
) -> Arc<HostsTable> {
    h.state()
        .state
        .dataset
        .as_ref()
        .and_then(|d| d.network.clone())
        .expect("network table")
}

/// Both views hold the very connections read first: the file was not read again.
fn assert_connections_reused(before: &HostsTable, after: &HostsTable) {
    let (Some(a), Some(b)) = (&before.conn, &after.conn) else {
        panic!("the connections are kept");
    };
    assert!(Arc::ptr_eq(a, b), "the connections read are reused");
}

/// Steps until the table on screen is a scored network table for which `done` holds.
fn until_network(
    h: &mut egui_kittest::Harness<'static, trafficlens::app::TrafficLensApp>,
    what: &str,
    done: impl Fn(&HostsTable) -> bool,
) {
    step_until(h, what, |a| {
        scored(a)
            && a.state
                .dataset
                .as_ref()
                .and_then(|d| d.network.as_deref())
                .is_some_and(&done)
    });
}
