"""Import every intervention so it registers itself. To add one: write its file, then add one import here."""

from . import (  # noqa: F401
    breakfast_club,
    glasses_in_classes,
    holiday_activities_and_food,
    mhst,
    parental_engagement,
    service_hub,
    supervised_toothbrushing,
    tuition,
)
from .base import REGISTRY, Intervention, InterventionParams, register

__all__ = ["REGISTRY", "Intervention", "InterventionParams", "register"]
