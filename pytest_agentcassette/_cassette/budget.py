"""Token budgets: the tokens a cassette's exchanges cost (as the provider counted them,
replayed or recorded) against ``max_tokens``, and what a user reads when they exceed it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

from pytest_agentcassette._conversation import Conversation, Exchange, Usage
from pytest_agentcassette._errors import TokenBudgetError, TokenBudgetWarning
from pytest_agentcassette._located import display_path
from pytest_agentcassette._model import Interaction

__all__ = ["Turn", "budget_message", "check_budget", "costed_turns"]

_NOT_MODELS = ("mcp", "unknown")  # exchanges not read as a model's response
_SHOWN = 3  # the costliest turns a failure names


@dataclass(frozen=True)
class Turn:
    """One exchange with the model and the tokens its response reported (``None``: none)."""

    interaction: Interaction
    exchange: Exchange

    @property
    def usage(self) -> Usage | None:
        return self.exchange.usage

    @property
    def tokens(self) -> int:
        return self.usage.total_tokens if self.usage is not None else 0

    def describe(self) -> str:
        """``interaction 3: POST https://... (gpt-4o): 812 tokens (700 in, 112 out)``."""
        request = self.interaction.request
        try:
            model = request.json().get("model")
        except (ValueError, AttributeError):
            model = None
        named = f" ({model})" if isinstance(model, str) and model else ""
        usage = self.usage or Usage()
        return (
            f"interaction {self.interaction.id}: {request.method} {request.url}{named}: "
            f"{self.tokens:,} tokens ({usage.input_tokens:,} in, {usage.output_tokens:,} out)"
        )


def costed_turns(exchanges: list[Interaction]) -> list[Turn]:
    """Each of ``exchanges`` with the usage its response reported, in request order."""
    conversation = Conversation.of(exchanges)  # one Exchange per interaction, in order
    pairs = zip(exchanges, conversation.exchanges, strict=True)
    return [Turn(interaction, exchange) for interaction, exchange in pairs]


def _model_turns(turns: list[Turn]) -> list[Turn]:
    """The turns read as a model's responses (not MCP calls, not other requests)."""
    return [turn for turn in turns if turn.exchange.api not in _NOT_MODELS]


def budget_message(
    turns: list[Turn], *, budget: int, shown_path: str, written: bool, record_command: str | None
) -> str:
    """The failure for ``turns`` that cost more than ``budget`` tokens in all."""
    used = sum(turn.tokens for turn in turns)
    state = (
        "recorded, and written all the same: review it before you commit it"
        if written
        else "replayed: the tokens counted when it was recorded"
    )
    lines = [
        f"Token budget exceeded: {used:,} tokens used, the budget is {budget:,} (max_tokens)",
        f"  cassette:    {shown_path} ({state})",
    ]
    models = _model_turns(turns)
    silent = sum(1 for turn in models if turn.usage is None)
    total = sum((turn.usage for turn in turns if turn.usage is not None), Usage())
    noun = "response" if len(models) == 1 else "responses"
    unreported = f" ({silent} reported none, counted as 0)" if silent else ""
    lines.append(
        f"  usage:       {total.input_tokens:,} in, {total.output_tokens:,} out, over "
        f"{len(models)} model {noun}{unreported}"
    )
    costliest = sorted((turn for turn in turns if turn.tokens), key=lambda t: -t.tokens)
    lines.extend(f"  costliest:   {turn.describe()}" for turn in costliest[:_SHOWN])
    lines.append(
        f"If the change is intended, raise the budget: max_tokens={used} (or more) on the "
        f"cassette marker, or agentcassette_max_tokens in the ini file."
    )
    command = record_command.replace("{mode}", "rewrite") if record_command else None
    if command:
        lines += ["Otherwise, make the agent spend fewer tokens and re-record it:", f"  {command}"]
    return "\n".join(lines)


def check_budget(
    exchanges: list[Interaction],
    *,
    budget: int,
    path: Path,
    written: bool,
    record_command: str | None,
) -> None:
    """Raise :class:`TokenBudgetError` when ``exchanges`` cost more than ``budget``
    tokens; warn when none of the model's responses among them reported usage.
    """
    turns = costed_turns(exchanges)
    models = _model_turns(turns)
    if models and all(turn.usage is None for turn in models):
        noun = "response" if len(models) == 1 else "responses"
        warnings.warn(
            TokenBudgetWarning(
                f"max_tokens={budget} was not checked: none of the {len(models)} model "
                f"{noun} in {display_path(path)} reported token usage (a streamed OpenAI "
                f'chat completion reports it only with stream_options={{"include_usage": '
                f"True}})"
            ),
            stacklevel=1,
        )
        return
    used = sum(turn.tokens for turn in turns)
    if used <= budget:
        return
    message = budget_message(
        turns,
        budget=budget,
        shown_path=display_path(path),
        written=written,
        record_command=record_command,
    )
    raise TokenBudgetError(message, path=path, used=used, budget=budget)
