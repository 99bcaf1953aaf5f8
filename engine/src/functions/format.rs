//! Excel number formats, as the TEXT function applies them.
