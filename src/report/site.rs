//! Writes the report's files: `index.html` and one page per milestone.

use std::io;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::html::{self, MilestonePage};

/// Writes the report into `dir` (created if needed) and returns the path of its
/// `index.html`. Each file is written whole under a temporary name, then renamed, so
/// a reader (or a publish job) never sees half a page.
pub fn write(
    dir: &Path,
    pages: &[MilestonePage],
    today: NaiveDate,
    tip: &str,
) -> io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    for page in pages {
        write_file(&dir.join(page.file_name()), &html::milestone(page))?;
    }
    let index = dir.join("index.html");
    write_file(&index, &html::index(pages, today, tip))?;
    Ok(index)
}

fn write_file(path: &Path, text: &str) -> io::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    std::fs::write(&temporary, text)?;
    std::fs::rename(&temporary, path)
}
