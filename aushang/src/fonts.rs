//! The two vendored faces (see `fonts/VENDORED.md`). They are compiled in so the server needs
//! no font on its machine and every instance prints the same sheet.

pub(crate) static REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
pub(crate) static BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

pub(crate) const REGULAR_NAME: &str = "DejaVuSans.ttf";
pub(crate) const BOLD_NAME: &str = "DejaVuSans-Bold.ttf";
