//! Colours and emphasis of the dashboard, in one place so NO_COLOR and a theme file touch only
//! this module. It imports nothing from the rest of Capstan.

use ratatui::style::{Color, Modifier, Style};

/// The styles views draw with.
///
/// With colour off (the `NO_COLOR` convention) every style keeps only its modifiers (bold,
/// reversed, dim), so state stays readable on a monochrome terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    color: bool,
    palette: Palette,
}

/// The colours a theme file can change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    pub header: Color,
    pub ok: Color,
    pub warn: Color,
    pub error: Color,
    pub muted: Color,
    pub highlight_fg: Color,
    pub highlight_bg: Color,
}

impl Default for Palette {
    fn default() -> Palette {
        Palette {
            header: Color::Cyan,
            ok: Color::Green,
            warn: Color::Yellow,
            error: Color::Red,
            muted: Color::DarkGray,
            highlight_fg: Color::Black,
            highlight_bg: Color::Yellow,
        }
    }
}

impl Default for Theme {
    fn default() -> Theme {
        Theme {
            color: true,
            palette: Palette::default(),
        }
    }
}

impl Theme {
    /// A theme with colour unless `NO_COLOR` is set to a non-empty value.
    pub fn from_env() -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
        Theme {
            color: !no_color,
            ..Theme::default()
        }
    }

    /// A theme without colour, whatever the environment says.
    pub fn monochrome() -> Theme {
        Theme {
            color: false,
            ..Theme::default()
        }
    }

    /// The same theme drawing with `palette` (still without colour when colour is off).
    pub fn with_palette(self, palette: Palette) -> Theme {
        Theme { palette, ..self }
    }

    pub fn has_color(self) -> bool {
        self.color
    }

    fn fg(self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    pub fn header(self) -> Style {
        self.fg(self.palette.header).add_modifier(Modifier::BOLD)
    }

    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn ok(self) -> Style {
        self.fg(self.palette.ok)
    }

    pub fn warn(self) -> Style {
        self.fg(self.palette.warn)
    }

    pub fn error(self) -> Style {
        self.fg(self.palette.error).add_modifier(Modifier::BOLD)
    }

    pub fn muted(self) -> Style {
        self.fg(self.palette.muted)
    }

    pub fn highlight(self) -> Style {
        if self.color {
            Style::new()
                .fg(self.palette.highlight_fg)
                .bg(self.palette.highlight_bg)
        } else {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::UNDERLINED)
        }
    }

    /// The colour marking a service's lines in the merged log view; `index` is the service's
    /// stable colour index. Without colour, names are told apart by their text alone.
    pub fn service(self, index: usize) -> Style {
        const COLOURS: [Color; 6] = [
            Color::Cyan,
            Color::Magenta,
            Color::Yellow,
            Color::Green,
            Color::Blue,
            Color::LightRed,
        ];
        self.fg(COLOURS[index % COLOURS.len()])
    }

    /// The number of distinct service colours.
    pub const SERVICE_COLOURS: usize = 6;

    /// The border of a pane; the focused pane stands out.
    pub fn border(self, focused: bool) -> Style {
        if focused {
            self.fg(self.palette.header).add_modifier(Modifier::BOLD)
        } else {
            self.muted()
        }
    }
}
