"""Export stage: streaming writers per dataset format, plus the manifest and dataset card."""

from simgen.export.base import EXPORTERS, DatasetInfo, Exporter, get_exporter, register_exporter

__all__ = ["EXPORTERS", "DatasetInfo", "Exporter", "get_exporter", "register_exporter"]
