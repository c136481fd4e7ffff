"""Import every intervention so it registers itself. To add one: write its file, then add one import here."""

from . import breakfast_club, glasses_in_classes, mhst, parental_engagement, service_hub, tuition  # noqa: F401
from .base import REGISTRY, Intervention, InterventionParams, register

__all__ = ["REGISTRY", "Intervention", "InterventionParams", "register"]
