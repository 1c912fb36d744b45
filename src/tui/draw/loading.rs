//! The loading screen, shown while a large input is read.

use crate::text::fit;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Gauge, Paragraph};

#[derive(Debug, Clone, Default)]
pub struct Loading {
    pub file_index: usize,
    pub files: usize,
    pub path: String,
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub records: usize,
}

pub fn draw(frame: &mut Frame, l: &Loading) {
    let area = frame.area();
    let [_, mid, _] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(6),
        Constraint::Fill(1),
    ])
    .areas(area);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" sessionscope · loading ");
    let inner = block.inner(mid);
    frame.render_widget(block, mid);
    let [a, b, c] = Layout::vertical([Constraint::Length(1); 3]).areas(inner);
    let w = usize::from(inner.width);
    frame.render_widget(
        Paragraph::new(Line::from(fit(
            &format!("file {}/{}: {}", l.file_index + 1, l.files.max(1), l.path),
            w,
        ))),
        a,
    );
    frame.render_widget(Paragraph::new(format!("{} records read", l.records)), b);
    let ratio = if l.bytes_total == 0 {
        0.0
    } else {
        (l.bytes_done as f64 / l.bytes_total as f64).clamp(0.0, 1.0)
    };
    frame.render_widget(
        Gauge::default()
            .ratio(ratio)
            .gauge_style(Style::new().add_modifier(Modifier::REVERSED)),
        c,
    );
}
