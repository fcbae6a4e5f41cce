//! File dialogs beside the frame loop: a panel asks for one with an [`Action`](super::Action);
//! the app starts it on the UI thread (as rfd asks on macOS), waits for it on a thread of its
//! own and polls for the chosen path every frame, so frames keep coming while it is open. Only
//! one dialog is open at a time. Without a portal or zenity (Linux) rfd returns no path
//! quietly: the path fields remain the other way in.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::mpsc::{channel, Receiver, TryRecvError};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// What a file to read is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickPurpose {
    /// A table or an access log to open.
    Open,
    /// A region table (address prefixes and region names) for the traffic view of a log.
    Regions,
}

/// What a file to write is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SavePurpose {
    /// The flagged rows.
    FlaggedRows,
    /// The log lines of the flagged clients or buckets.
    FlaggedLines,
}

/// A dialog to show: to pick a file to read, or to choose where to write one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialogRequest {
    /// Pick an existing file.
    Pick(PickPurpose),
    /// Choose a file to write, suggesting a name.
    Save(SavePurpose, String),
}

impl DialogRequest {
    /// The dialog's file type filters: a name and the extensions it accepts.
    pub fn filters(&self) -> &'static [(&'static str, &'static [&'static str])] {
        match self {
            DialogRequest::Pick(PickPurpose::Open) => &[
                (
                    "Tables, logs and captures",
                    &[
                        "csv", "tsv", "txt", "parquet", "log", "json", "gz", "pcap", "pcapng",
                        "cap",
                    ],
                ),
                ("All files", &["*"]),
            ],
            DialogRequest::Pick(PickPurpose::Regions)
            | DialogRequest::Save(SavePurpose::FlaggedRows, _) => &[("CSV", &["csv"])],
            DialogRequest::Save(SavePurpose::FlaggedLines, _) => &[],
        }
    }
}

/// A dialog under way: resolves to the chosen path, or `None` when cancelled.
pub type DialogFuture = Pin<Box<dyn Future<Output = Option<PathBuf>> + Send>>;

/// Shows file dialogs. `start` runs on the UI thread and must not block; the future it returns
/// is awaited on a thread of its own, so it may take as long as the user does.
pub trait FileDialogs: Send + Sync {
    /// Starts the dialog `request` asks for.
    fn start(&self, request: &DialogRequest) -> DialogFuture;
}

/// The system's file dialogs (rfd).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemDialogs;

impl FileDialogs for SystemDialogs {
    fn start(&self, request: &DialogRequest) -> DialogFuture {
        let mut dialog = rfd::AsyncFileDialog::new();
        for (name, extensions) in request.filters() {
            dialog = dialog.add_filter(*name, extensions);
        }
        match request {
            DialogRequest::Pick(_) => {
                let picked = dialog.pick_file();
                Box::pin(async move { picked.await.map(|f| f.path().to_path_buf()) })
            }
            DialogRequest::Save(_, name) => {
                // The system dialog asks before replacing a file.
                let saved = dialog.set_file_name(name).save_file();
                Box::pin(async move { saved.await.map(|f| f.path().to_path_buf()) })
            }
        }
    }
}

/// Why a dialog was not opened.
#[derive(Debug, thiserror::Error)]
pub enum DialogError {
    /// Another dialog is open.
    #[error("a file dialog is already open: choose a file there or close it first")]
    Busy,
    /// No thread could be started to wait for it.
    #[error("could not open a file dialog ({0}); type the path in the field instead")]
    Thread(#[from] std::io::Error),
}

/// The open dialog, if any, and what opens them.
pub struct Dialogs {
    backend: Arc<dyn FileDialogs>,
    notify: Arc<dyn Fn() + Send + Sync>,
    open: Option<(DialogRequest, Receiver<Option<PathBuf>>)>,
}

impl Dialogs {
    /// Dialogs shown by `backend`; `notify` is called when one closes (the app repaints there).
    pub fn new(backend: Arc<dyn FileDialogs>, notify: Arc<dyn Fn() + Send + Sync>) -> Self {
        Dialogs {
            backend,
            notify,
            open: None,
        }
    }

    /// Replaces what shows the dialogs (tests put a scripted one here).
    pub fn set_backend(&mut self, backend: Arc<dyn FileDialogs>) {
        self.backend = backend;
    }

    /// Whether a dialog is open.
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// Opens the dialog `request` asks for, unless one is open already. Returns at once.
    pub fn open(&mut self, request: DialogRequest) -> Result<(), DialogError> {
        if self.open.is_some() {
            return Err(DialogError::Busy);
        }
        let future = self.backend.start(&request);
        let (tx, rx) = channel();
        let notify = Arc::clone(&self.notify);
        std::thread::Builder::new()
            .name("file dialog".into())
            .spawn(move || {
                // The receiver is gone only when the app is: nothing is left to tell.
                let _ = tx.send(block_on(future));
                notify();
            })?;
        self.open = Some((request, rx));
        Ok(())
    }

    /// The request and the chosen path, once the open dialog closed with one; `None` while it
    /// is open, when it was cancelled, or when none is open.
    pub fn poll(&mut self) -> Option<(DialogRequest, PathBuf)> {
        let (_, rx) = self.open.as_ref()?;
        let chosen = match rx.try_recv() {
            Err(TryRecvError::Empty) => return None,
            Ok(chosen) => chosen,
            // The waiting thread ended without an answer (the dialog failed): it is closed.
            Err(TryRecvError::Disconnected) => None,
        };
        let (request, _) = self.open.take()?;
        chosen.map(|path| (request, path))
    }
}

/// Runs `future` to completion on this thread, sleeping while it waits.
fn block_on<F: Future>(future: F) -> F::Output {
    /// Wakes the waiting thread.
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(out) => return out,
            Poll::Pending => std::thread::park(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::time::{Duration, Instant};

    /// Answers every dialog with what the test sends, when it sends it.
    struct Scripted(Mutex<Option<Receiver<Option<PathBuf>>>>);

    impl FileDialogs for Scripted {
        fn start(&self, _: &DialogRequest) -> DialogFuture {
            let rx = self.0.lock().ok().and_then(|mut r| r.take());
            Box::pin(
                async move { rx.and_then(|rx| rx.recv_timeout(Duration::from_secs(30)).ok())? },
            )
        }
    }

    fn wait_for(dialogs: &mut Dialogs) -> Option<(DialogRequest, PathBuf)> {
        let started = Instant::now();
        while dialogs.is_open() {
            if let Some(chosen) = dialogs.poll() {
                return Some(chosen);
            }
            assert!(started.elapsed() < Duration::from_secs(10), "no answer");
            std::thread::sleep(Duration::from_millis(2));
        }
        None
    }

    #[test]
    fn a_second_dialog_waits_for_the_first_and_the_path_arrives_by_poll() {
        let (tx, rx) = channel();
        let mut dialogs = Dialogs::new(Arc::new(Scripted(Mutex::new(Some(rx)))), Arc::new(|| {}));
        let request = DialogRequest::Pick(PickPurpose::Open);
        dialogs.open(request.clone()).expect("opens");
        assert!(matches!(
            dialogs.open(DialogRequest::Pick(PickPurpose::Regions)),
            Err(DialogError::Busy)
        ));
        assert_eq!(dialogs.poll(), None, "still open");
        assert!(dialogs.is_open());
        tx.send(Some(PathBuf::from("/tmp/x.csv"))).expect("send");
        assert_eq!(
            wait_for(&mut dialogs),
            Some((request, PathBuf::from("/tmp/x.csv")))
        );
        assert!(!dialogs.is_open());
    }

    #[test]
    fn a_cancelled_dialog_closes_without_a_path() {
        let (tx, rx) = channel();
        let mut dialogs = Dialogs::new(Arc::new(Scripted(Mutex::new(Some(rx)))), Arc::new(|| {}));
        dialogs
            .open(DialogRequest::Save(
                SavePurpose::FlaggedRows,
                "f.csv".into(),
            ))
            .expect("opens");
        tx.send(None).expect("send");
        assert_eq!(wait_for(&mut dialogs), None);
        assert!(!dialogs.is_open());
    }
}
