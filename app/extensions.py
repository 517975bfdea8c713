"""Flask extensions, created once and bound in create_app (the Flask tutorial's factory pattern)."""

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from app.models.base import db

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()

__all__ = ["db", "migrate", "login_manager", "csrf", "babel"]
