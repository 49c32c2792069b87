"""Every periodic job in one place (STYLE.md habit 4). Imported by the scheduler at start."""
