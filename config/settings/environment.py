"""The one parsed environment every settings module reads from."""

from pathlib import Path

from config.env import Environment

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = Environment()

DATA_DIR = Path(env.string("PAPPUS_DATA_DIR", str(BASE_DIR / "var")))
if not DATA_DIR.is_absolute():
    DATA_DIR = BASE_DIR / DATA_DIR
