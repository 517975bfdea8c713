"""Form definitions (JSON Schema + "x-ui" hints in forms/) and their validation with Vietnamese messages."""

from app.forms.labels import ITEM, label_path
from app.forms.payload import RESERVED_KEY
from app.forms.schema import BASE_URI, FormRegistry, default_registry

__all__ = ["BASE_URI", "ITEM", "RESERVED_KEY", "FormRegistry", "default_registry", "label_path"]
