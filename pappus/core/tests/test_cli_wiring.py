"""Subcommands that hand over to an app's own entry point are wired to it."""

import subprocess
import sys


def run_cli(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pappus.cli", *arguments], capture_output=True, text=True, timeout=60, check=False
    )


def test_nlp_eval_help_comes_from_the_nlp_app():
    result = run_cli("nlp", "eval", "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: pappus nlp eval" in result.stdout
    assert "macro-F1" in result.stdout


def test_an_unknown_nlp_action_is_refused_with_the_choices():
    result = run_cli("nlp", "fly")
    assert result.returncode == 2
    assert "invalid choice: 'fly' (choose from 'train', 'eval')" in result.stderr


def test_reprocess_takes_its_own_options_and_help():
    result = run_cli("reprocess", "--help")
    assert result.returncode == 0, result.stderr
    assert "--batch-size" in result.stdout


def test_unknown_options_of_other_commands_are_still_refused():
    result = run_cli("check", "--bogus")
    assert result.returncode == 2
    assert "unrecognized arguments: --bogus" in result.stderr
