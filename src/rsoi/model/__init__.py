"""Model input: the YAML schema, the safe loader with line-accurate errors, CSV sections,
bounded file reads, geometry, and the warnings about settings that change nothing."""
