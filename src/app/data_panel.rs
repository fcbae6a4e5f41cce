//! The data panel: open a file (dialog, typed path, drag and drop, recent files, the sample) and
//! what is loaded.

use egui::Ui;

use super::dialogs::PickPurpose;
use super::state::{Action, AppState};
use crate::data::access::{Bucket, LogGroup, LogOptions, LogTable, LogView};
use crate::data::formats::zeek::HostSide;
use crate::data::formats::zeek::HostsTable;
use crate::data::stats::interval_name;
use crate::zone::Zone;

/// The data panel's own state: what is typed in its fields.
#[derive(Debug, Default)]
pub struct DataPanel {
    /// The path typed to open.
    pub open_path: String,
    /// The access-log format typed.
    pub log_format: String,
    /// The region table typed (traffic per region).
    pub regions_path: String,
}

impl DataPanel {
    /// Draws the panel.
    pub fn ui(&mut self, ui: &mut Ui, state: &AppState, actions: &mut Vec<Action>) {
        ui.heading("Data");
        ui.horizontal(|ui| {
            if ui
                .add_enabled(!state.dialog_open, egui::Button::new("Open…"))
                .on_hover_text(
                    "Open a CSV or Parquet table, or a web server access log (plain or .gz)",
                )
                .clicked()
            {
                actions.push(Action::PickFile(PickPurpose::Open));
            }
            if ui.button("Sample data").clicked() {
                actions.push(Action::OpenSample);
            }
        });
        ui.horizontal(|ui| {
            let field = ui.add(
                egui::TextEdit::singleline(&mut self.open_path)
                    .hint_text("or type a path")
                    .desired_width(170.0),
            );
            field.widget_info(|| {
                egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Path to open")
            });
            let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if (ui.button("Load").clicked() || enter) && !self.open_path.trim().is_empty() {
                actions.push(Action::Open(self.open_path.trim().into()));
            }
        });
        ui.label(
            egui::RichText::new("Drop a file on the window to open it.")
                .weak()
                .small(),
        );
        egui::CollapsingHeader::new("Access log in another format")
            .id_salt("log_format")
            .show(ui, |ui| {
                ui.label(
                egui::RichText::new(
                    "Combined and Common Log Format are recognised. For another layout, give it in \
                     Nginx log_format or Apache LogFormat syntax.",
                )
                .weak()
                .small(),
            );
                let field = ui.add(
                    egui::TextEdit::singleline(&mut self.log_format)
                        .hint_text("$remote_addr [$time_local] \"$request\" $status ...")
                        .desired_width(240.0),
                );
                field.widget_info(|| {
                    egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Log format")
                });
                let typed = self.open_path.trim();
                let target = if typed.is_empty() {
                    state
                        .dataset
                        .as_ref()
                        .map(|d| d.path.clone())
                        .filter(|p| p.is_file())
                } else {
                    Some(typed.into())
                };
                let ready = target.is_some() && !self.log_format.trim().is_empty();
                if ui
                    .add_enabled(ready, egui::Button::new("Open as access log"))
                    .on_hover_text("Reads the typed path (or the file on screen) with this format")
                    .clicked()
                {
                    if let Some(path) = target {
                        actions.push(Action::LoadLog(path, self.log_format.trim().to_string()));
                    }
                }
            });

        if let Some(busy) = &state.loading {
            ui.horizontal(|ui| {
                ui.add(
                    egui::ProgressBar::new(busy.done)
                        .text(busy.stage)
                        .desired_width(180.0),
                );
                if ui.button("Cancel").clicked() {
                    actions.push(Action::Cancel);
                }
            });
        }
        if let Some(err) = &state.error {
            ui.colored_label(ui.visuals().error_fg_color, err);
        }

        if let Some(ds) = state.dataset.clone() {
            ui.separator();
            egui::Grid::new("data_info")
                .num_columns(2)
                .spacing([8.0, 2.0])
                .show(ui, |ui| {
                    ui.label("File");
                    ui.label(ds.file_name())
                        .on_hover_text(ds.path.display().to_string());
                    ui.end_row();
                    ui.label("Rows");
                    ui.label(match ds.log.as_ref().map(|t| t.view) {
                        Some(LogView::Clients) => format!("{} clients", ds.n_rows()),
                        Some(LogView::Traffic) => format!("{} time buckets", ds.n_rows()),
                        None => match ds.network.as_ref().map(|n| n.view) {
                            Some(LogView::Clients) => format!("{} hosts", ds.n_rows()),
                            Some(LogView::Traffic) => format!("{} time buckets", ds.n_rows()),
                            None => format!("{} rows", ds.n_rows()),
                        },
                    });
                    ui.end_row();
                    ui.label("Columns");
                    ui.label(match ds.n_features() {
                        1 => "1 feature".to_string(),
                        n => format!("{n} features"),
                    });
                    ui.end_row();
                    if let (Some(t), Some(ts)) =
                        (&ds.time, state.stats.as_ref().and_then(|s| s.time.as_ref()))
                    {
                        ui.label("Time");
                        ui.label(t.zone.format_span(ts.start, ts.end))
                            .on_hover_text(format!(
                                "column `{}`, {}; shown in {}",
                                t.name,
                                t.format,
                                t.zone.in_words()
                            ));
                        ui.end_row();
                        ui.label("Interval");
                        ui.label(ts.interval_ms.map_or("unknown".into(), interval_name));
                        ui.end_row();
                        // Only where it changes something: times written with an offset.
                        if t.zone != Zone::Unstated || state.persisted.times_in_utc {
                            ui.label("");
                            let mut utc = state.persisted.times_in_utc;
                            if ui
                                .checkbox(&mut utc, "Show times in UTC")
                                .on_hover_text(
                                    "Times written with a UTC offset are shown on that clock; \
                                     tick to show them in UTC (the file is read again)",
                                )
                                .changed()
                            {
                                actions.push(Action::TimesInUtc(utc));
                            }
                            ui.end_row();
                        }
                    }
                    ui.label("Left out");
                    ui.label(format!(
                        "{} rows with missing values",
                        ds.missing.rows_left_out
                    ));
                    ui.end_row();
                    ui.label("Loaded in");
                    ui.label(format!("{:.0} ms", ds.load_time.as_secs_f64() * 1000.0));
                    ui.end_row();
                });
            if let Some(table) = &ds.log {
                self.log_section(ui, state, table, actions);
            } else if let Some(net) = &ds.network {
                network_section(ui, state, net, actions);
            }
            for w in &ds.warnings {
                ui.label(egui::RichText::new(w).weak().small());
            }
        }

        if !state.persisted.recent.is_empty() {
            ui.separator();
            ui.label("Recent files");
            for path in state.persisted.recent.clone() {
                let name = path.file_name().map_or_else(
                    || path.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                );
                if ui
                    .link(name)
                    .on_hover_text(path.display().to_string())
                    .clicked()
                {
                    actions.push(Action::Open(path));
                }
            }
        }
    }

    /// What was read from an access log, and the choice of view: clients or traffic over time
    /// (with its bucket and grouping). A change reads the table again from the parsed log.
    fn log_section(
        &mut self,
        ui: &mut Ui,
        state: &AppState,
        table: &LogTable,
        actions: &mut Vec<Action>,
    ) {
        let log = &table.log;
        ui.separator();
        ui.strong("Access log");
        ui.label(format!(
            "{} requests from {} clients",
            crate::data::access::verdict::count(log.requests() as f64),
            crate::data::access::verdict::count(log.clients.len() as f64)
        ));
        ui.label(
            egui::RichText::new(format!(
                "{}, read in {:.2} s",
                log.format.name,
                log.parse_time.as_secs_f64()
            ))
            .small(),
        );
        if log.malformed > 0 {
            egui::CollapsingHeader::new(format!("{} malformed lines skipped", log.malformed))
                .id_salt("malformed")
                .show(ui, |ui| {
                    for m in &log.samples {
                        ui.label(egui::RichText::new(m.to_string()).small().monospace());
                    }
                });
        }
        let current = state.persisted.log.clone();
        let mut next = current.clone();
        view_choice(
            ui,
            &mut next,
            &current,
            table.bucket,
            LogView::Clients.label(),
        );
        if next.view == LogView::Traffic {
            ui.horizontal(|ui| {
                ui.label("Columns");
                let all = matches!(next.group, LogGroup::All);
                if ui.selectable_label(all, "all traffic").clicked() {
                    next.group = LogGroup::All;
                }
                let by_host = matches!(next.group, LogGroup::VirtualHost);
                let host = ui.add_enabled(
                    log.format.has_virtual_host(),
                    egui::Button::selectable(by_host, "per host"),
                );
                if host.clicked() {
                    next.group = LogGroup::VirtualHost;
                }
                host.on_disabled_hover_text("the log format does not record the virtual host");
            });
            ui.horizontal(|ui| {
                let field = ui.add(
                    egui::TextEdit::singleline(&mut self.regions_path)
                        .hint_text("regions CSV (prefix,region)")
                        .desired_width(170.0),
                );
                field.widget_info(|| {
                    egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Regions file")
                });
                if ui
                    .add_enabled(!state.dialog_open, egui::Button::new("Per region"))
                    .on_hover_text(
                        "Columns per region: a CSV of address prefixes (CIDR) and region names",
                    )
                    .clicked()
                {
                    let typed = self.regions_path.trim();
                    if typed.is_empty() {
                        actions.push(Action::PickFile(PickPurpose::Regions));
                    } else {
                        next.group = LogGroup::Regions(typed.into());
                    }
                }
            });
        }
        if next != current {
            actions.push(Action::LogView(next));
        }
    }
}

/// The choice of view (rows of `rows_label` or traffic over time) and, for traffic, of the
/// bucket (`shown` is the bucket of the table on screen, which "auto" chose).
fn view_choice(
    ui: &mut Ui,
    next: &mut LogOptions,
    current: &LogOptions,
    shown: Option<Bucket>,
    rows_label: &str,
) {
    ui.horizontal(|ui| {
        ui.label("View");
        ui.selectable_value(&mut next.view, LogView::Clients, rows_label);
        ui.selectable_value(&mut next.view, LogView::Traffic, LogView::Traffic.label());
    });
    if next.view == LogView::Traffic {
        ui.horizontal(|ui| {
            let auto = match (shown, current.bucket) {
                (Some(b), None) => format!("auto ({b})"),
                _ => "auto".into(),
            };
            let text = next.bucket.map_or(auto.clone(), |b| b.to_string());
            egui::ComboBox::new("bucket", "Bucket")
                .selected_text(text)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut next.bucket, None, auto);
                    for b in Bucket::CHOICES {
                        ui.selectable_value(&mut next.bucket, Some(b), b.to_string());
                    }
                });
        });
    }
}

/// What was read from a connection log or capture, and the choice of view: hosts or traffic over
/// time (with its bucket). A change makes the table again from the connections kept.
fn network_section(ui: &mut Ui, state: &AppState, net: &HostsTable, actions: &mut Vec<Action>) {
    ui.separator();
    ui.strong("Network traffic");
    ui.label(egui::RichText::new(&net.summary).small());
    if net.conn.is_none() {
        return;
    }
    let current = LogOptions {
        view: net.view,
        bucket: state.persisted.log.bucket,
        hosts_by: net.side,
        ..state.persisted.log.clone()
    };
    let mut next = current.clone();
    view_choice(ui, &mut next, &current, net.bucket, "Hosts");
    if next.view == LogView::Clients {
        ui.horizontal(|ui| {
            ui.label("Rank");
            ui.selectable_value(&mut next.hosts_by, HostSide::Source, "Sources")
                .on_hover_text("One row per source address: who connects");
            ui.selectable_value(&mut next.hosts_by, HostSide::Destination, "Destinations")
                .on_hover_text("One row per destination address: who is connected to");
        });
    }
    if next != current {
        actions.push(Action::LogView(next));
    }
}
