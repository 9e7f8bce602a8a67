"""Analysis variants: a scenario plus a few edits to its validated model.

A model edit, so it lives with the model input: the analyses (`rsoi.analysis`) make variants,
and the checker (`rsoi.results.check`) re-applies a variant's recorded edits without importing
any LP or analysis code.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

# --- variants ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    """Edits to a scenario's validated model; picklable, so Dask can ship it."""

    name: str
    settings: tuple[tuple[str, Any], ...] = ()
    """(dotted attribute path on the model spec, new value), e.g. ("policies.troop_floor.enabled", False)."""
    attacks: tuple[tuple[str, int, float], ...] = ()
    """(target place or route, first period, remaining capacity share) appended to the events."""
    description: str = ""
    scenario: str | None = "\0same"
    """Another scenario of the same model file to start from (a sweep member); default: the base's."""

    @property
    def has_edits(self) -> bool:
        return bool(self.settings or self.attacks)

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "description": self.description,
            "settings": {path: _plain(value) for path, value in self.settings},
            "attacks": [
                {"target": t, "from_period": p, "capacity_factor": f} for t, p, f in self.attacks
            ],
        }

    @classmethod
    def from_json(cls, data: dict) -> Variant:
        return cls(
            name=data["name"],
            description=data.get("description", ""),
            settings=tuple((k, v) for k, v in data.get("settings", {}).items()),
            attacks=tuple(
                (a["target"], int(a["from_period"]), float(a["capacity_factor"]))
                for a in data.get("attacks", [])
            ),
        )


SAME_SCENARIO = "\0same"
BASELINE = Variant("baseline", description="the scenario as shipped")


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)


def _set(node, keys: list[str], value: Any):
    """A copy of pydantic model `node` with the attribute at `keys` set (only that path copied).

    The innermost model is re-validated, so a value is converted and checked by the schema.
    """
    if len(keys) == 1:
        data = node.model_dump(mode="python", round_trip=True)
        if keys[0] not in data:
            raise KeyError(keys[0])
        data[keys[0]] = _plain(value)
        return type(node).model_validate(data)
    child = getattr(node, keys[0])
    return node.model_copy(update={keys[0]: _set(child, keys[1:], value)})


def apply_variant(model, variant: Variant):
    """A copy of LoadedModel `model` with `variant`'s edits (the scenario itself is untouched)."""
    from rsoi.model.schema import Attack

    if not variant.settings and not variant.attacks:
        return model
    spec = model.spec
    for path, value in variant.settings:
        try:
            spec = _set(spec, path.split("."), value)
        except (KeyError, AttributeError):
            raise KeyError(f"variant {variant.name}: unknown setting {path}") from None
    if variant.attacks:
        attacks = list(spec.events.attacks) + [
            Attack(
                target=t,
                from_period=p,
                capacity_factor=f,
                source=f"analysis variant {variant.name}",
            )
            for t, p, f in variant.attacks
        ]
        spec = spec.model_copy(
            update={"events": spec.events.model_copy(update={"attacks": attacks})}
        )
    # recorded in the canonical form the checker reads back from summary.json (input_hash)
    recorded = Variant.from_json(variant.to_json()).to_json()
    return dataclasses.replace(model, spec=spec, variant=recorded)


def with_solver(model, method: str | None):
    """`model` with ``settings.solver`` set to HiGHS method `method` (None: unchanged)."""
    if method is None:
        return model
    return apply_variant(model, Variant("solver", settings=(("settings.solver", method),)))
