"""Outputs for reviewers: the run's data read once, the GeoPackage with QGIS styles and
project, the static map and the offline report."""
