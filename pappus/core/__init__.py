"""Workspaces, regions, memberships, roles and permissions, the audit log, settings and the CLI."""
