"""Pappus settings, composed from one module per concern.

Every value that an operator may change comes from the environment through
:mod:`config.env`; all problems are collected and reported together at start-up.
"""

from config.settings.base import *
from config.settings.connectors import *
from config.settings.database import *
from config.settings.environment import env
from config.settings.i18n import *
from config.settings.logs import *
from config.settings.mail import *
from config.settings.nlp import *
from config.settings.security import *
from config.settings.serving import *
from config.settings.tasks import *

env.check()
