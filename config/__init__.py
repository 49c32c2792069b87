"""Project configuration: settings, URLs, the API root and the schedule."""
