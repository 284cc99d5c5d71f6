"""The ``model_picker`` toolset: ``change_model`` and ``revert_model``, with cagent's texts
(``pkg/tools/builtin/model_picker.go``, ``pkg/runtime/model_picker.go``).

The choice lives in the toolset (:class:`ModelPicker`); the session reads it before each
model call of the agent, so the call after ``change_model`` uses the picked model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from agentcore.tools.base import Arguments, ToolFailed, Toolset, ToolSpec, bind_tools

__all__ = ["ModelPicker", "ModelPickerToolset", "model_picker_toolset", "picked_model"]


@dataclass
class ModelPicker:
    """The models an agent may switch to, and the one it picked (None: its own)."""

    models: tuple[str, ...]
    picked: str | None = None


@dataclass
class ModelPickerToolset(Toolset):
    """The toolset, with the choice its tools make."""

    picker: ModelPicker = field(default_factory=lambda: ModelPicker(()))


def _instruction(models: tuple[str, ...]) -> str:
    return (
        "## Model Switching\n\n"
        f"Available models: {', '.join(models)}.\n\n"
        "Use `change_model` to switch to a model better suited for the current task "
        "(e.g., faster model for simple tasks, more capable model for complex reasoning).\n"
        "Use `revert_model` to return to the original model when done."
    )


def change_model(picker: ModelPicker, args: Arguments) -> str:
    """Pick one of the allowed models for the agent's next calls."""
    model = args.get("model")
    if not isinstance(model, str) or not model:
        raise ToolFailed("model parameter is required")
    if model not in picker.models:
        raise ToolFailed(
            f"model {json.dumps(model)} is not in the allowed list. Available models: "
            f"{', '.join(picker.models)}"
        )
    picker.picked = model
    return f"Model changed to {model}"


def revert_model(picker: ModelPicker, args: Arguments) -> str:
    """Go back to the agent's own model."""
    picker.picked = None
    return "Model reverted to the agent's default model"


def _specs(models: tuple[str, ...]) -> tuple[ToolSpec[ModelPicker], ...]:
    return (
        ToolSpec(
            "change_model",
            f"Change the current model to one of the available models: {', '.join(models)}. "
            "Use this when you need a different model for the current task.",
            {
                "model": {
                    "description": "The model to switch to. Must be one of the available models.",
                    "type": "string",
                }
            },
            ("model",),
            change_model,
            read_only=True,
        ),
        ToolSpec(
            "revert_model",
            "Revert to the agent's original/default model. "
            "Use this after completing a task that required a different model.",
            {},
            (),
            revert_model,
            read_only=True,
        ),
    )


def model_picker_toolset(models: tuple[str, ...]) -> ModelPickerToolset:
    """``change_model`` and ``revert_model`` over ``models`` (refs as the file writes them)."""
    picker = ModelPicker(tuple(models))
    return ModelPickerToolset(
        "model_picker",
        bind_tools(_specs(picker.models), picker),
        _instruction(picker.models),
        picker=picker,
    )


def picked_model(toolsets: list[Toolset]) -> str | None:
    """The model an agent's ``model_picker`` picked, if any."""
    for toolset in toolsets:
        if isinstance(toolset, ModelPickerToolset) and toolset.picker.picked:
            return toolset.picker.picked
    return None
