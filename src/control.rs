//! Cancellation and progress for long work: one type passed to the loaders, the access-log
//! reader, the Isolation Forest fit and the LOF neighbour search.

use std::sync::atomic::{AtomicBool, Ordering};

/// How long work is told to stop and how it reports what share is done.
#[derive(Default, Clone, Copy)]
pub struct Control<'a> {
    /// Set to stop the work early; it then returns its `Cancelled` error.
    pub cancel: Option<&'a AtomicBool>,
    /// Called with the share done, from 0 to 1.
    pub progress: Option<&'a (dyn Fn(f32) + Sync)>,
}

impl<'a> Control<'a> {
    /// Control with a cancel flag and a progress callback.
    pub fn new(cancel: &'a AtomicBool, progress: &'a (dyn Fn(f32) + Sync)) -> Self {
        Control {
            cancel: Some(cancel),
            progress: Some(progress),
        }
    }

    /// Whether the work should stop.
    pub fn cancelled(&self) -> bool {
        self.cancel.is_some_and(|c| c.load(Ordering::Relaxed))
    }

    /// Reports the share done, from 0 to 1.
    pub fn report(&self, done: f32) {
        if let Some(p) = self.progress {
            p(done);
        }
    }

    /// The same flag, with progress mapped onto `[from, to]` of the caller's range (for one
    /// stage of several).
    pub fn stage<R>(&self, from: f32, to: f32, run: impl FnOnce(Control<'_>) -> R) -> R {
        match self.progress {
            Some(p) => {
                let mapped = move |done: f32| p(from + (to - from) * done);
                run(Control {
                    cancel: self.cancel,
                    progress: Some(&mapped),
                })
            }
            None => run(*self),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn reports_cancels_and_maps_stages() {
        let flag = AtomicBool::new(false);
        let seen = Mutex::new(Vec::new());
        let record = |d: f32| seen.lock().expect("lock").push(d);
        let c = Control::new(&flag, &record);
        assert!(!c.cancelled());
        c.report(0.25);
        c.stage(0.5, 1.0, |inner| inner.report(0.5));
        flag.store(true, Ordering::Relaxed);
        assert!(c.cancelled());
        assert_eq!(*seen.lock().expect("lock"), vec![0.25, 0.75]);
        assert!(!Control::default().cancelled());
    }
}
