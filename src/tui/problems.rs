//! What the load could not read, kept in the view-model for as long as the investigator looks:
//! a summary the status line always shows, and the list the `!` view gives, file by file.

use sessionscope_ingest::LoadReport;

/// One line of the problems view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemLine {
    /// A file: its path and what became of it.
    File(String, String),
    /// A record of it that could not be read: where, and why.
    Record(String, String),
    /// Something said of the file that lost nothing (a warning).
    Note(String),
}

#[derive(Debug, Clone, Default)]
pub struct LoadProblems {
    /// Records skipped, in all files.
    pub skipped: usize,
    /// Files with at least one record skipped.
    pub files_with_skips: usize,
    /// Files of which nothing could be read.
    pub unreadable: usize,
    pub lines: Vec<ProblemLine>,
}

impl LoadProblems {
    pub fn of(report: &LoadReport) -> LoadProblems {
        let mut p = LoadProblems::default();
        for f in &report.files {
            if f.error.is_none() && f.skipped == 0 && f.warnings.is_empty() {
                continue;
            }
            p.skipped += f.skipped;
            p.files_with_skips += usize::from(f.skipped > 0);
            let what = match &f.error {
                Some(why) => {
                    p.unreadable += 1;
                    format!("not read: {why}")
                }
                None if f.recovered > 0 => format!(
                    "{}: {} record(s) read ({} of them after damage), {} skipped",
                    f.format, f.records, f.recovered, f.skipped
                ),
                None => format!(
                    "{}: {} record(s) read, {} skipped",
                    f.format, f.records, f.skipped
                ),
            };
            p.lines.push(ProblemLine::File(f.path.clone(), what));
            for problem in &f.problems {
                p.lines.push(ProblemLine::Record(
                    problem.location.clone(),
                    problem.reason.clone(),
                ));
            }
            let unlisted = f.skipped.saturating_sub(f.problems.len());
            if unlisted > 0 {
                p.lines.push(ProblemLine::Note(format!(
                    "{unlisted} more skipped record(s) not listed (the first {} are)",
                    f.problems.len()
                )));
            }
            p.lines
                .extend(f.warnings.iter().cloned().map(ProblemLine::Note));
        }
        p
    }

    /// True when something was lost: a record skipped or a file not read.
    pub fn lost_anything(&self) -> bool {
        self.skipped > 0 || self.unreadable > 0
    }

    /// `12 records skipped in 2 files, 1 file not read`.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if self.skipped > 0 {
            parts.push(format!(
                "{} record{} skipped in {} file{}",
                self.skipped,
                plural(self.skipped),
                self.files_with_skips,
                plural(self.files_with_skips)
            ));
        }
        if self.unreadable > 0 {
            parts.push(format!(
                "{} file{} not read",
                self.unreadable,
                plural(self.unreadable)
            ));
        }
        parts.join(", ")
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
