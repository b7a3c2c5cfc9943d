"""Flask extensions, created unbound here and bound to the app in create_app()."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# Only the routes that ask for it are limited (the staff login); the storage comes from
# RATELIMIT_STORAGE_URI ("database://" by default: bot/ratelimit.py). Fixed windows. No
# X-RateLimit headers: they would read the storage again after the view, while the request's
# own transaction may hold SQLite's write lock; the 429 page sets Retry-After itself.
limiter = Limiter(key_func=get_remote_address, strategy="fixed-window", headers_enabled=False)
