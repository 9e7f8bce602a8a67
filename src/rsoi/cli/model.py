"""Commands on a model file that solve nothing: `validate`, `scenarios`, `schema`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rsoi.cli.console import out, warn
from rsoi.cli.exits import EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from rsoi.pipeline import validate_all

    validated = validate_all(args.model, args.max_memory)
    for warning in validated.warnings:
        warn(warning)
    out.print(f"{args.model}: valid (base model and {validated.scenarios} scenarios)", markup=False)
    return EXIT_OK


def cmd_scenarios(args: argparse.Namespace) -> int:
    from rsoi.model.loader import load_model, read_yaml
    from rsoi.model.schema import scenario_grid_entry

    doc = read_yaml(Path(args.model))  # parsed once for every scenario
    spec = load_model(args.model, use_default=False, document=doc).spec
    if args.json:
        out.print_json(
            json.dumps(
                [
                    {
                        "name": k,
                        "description": s.description,
                        "inherits": s.inherits,
                        "default": k == spec.default_scenario,
                        **scenario_grid_entry(
                            load_model(args.model, k, document=doc, base=spec).spec
                        ),
                    }
                    for k, s in spec.scenarios.items()
                ]
            )
        )
        return EXIT_OK
    width = max((len(k) for k in spec.scenarios), default=0)
    for name, scenario in spec.scenarios.items():
        out.print(f"{name:<{width}}  {scenario.description}", markup=False)
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from rsoi.model.schema import ModelSpec

    sys.stdout.write(json.dumps(ModelSpec.model_json_schema(), indent=2) + "\n")
    return EXIT_OK
