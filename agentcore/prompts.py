"""The texts cagent gives a model: team prompts, task messages, tool results (verbatim, so
that a session behaves and reads the same under both runtimes).
"""

from __future__ import annotations

import platform
import subprocess
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

__all__ = [
    "CANCELED",
    "MAX_ITERATIONS",
    "MAX_TOOL_OUTPUT",
    "NO_OUTPUT",
    "PLEASE_PROCEED",
    "REJECTED",
    "TOOL_ERROR",
    "UNKNOWN_TOOL",
    "environment_info",
    "handoff_prompt",
    "handoff_result",
    "multi_agent_prompt",
    "not_in_list",
    "task_message",
    "today",
    "truncate",
]

PLEASE_PROCEED = "Please proceed."
UNKNOWN_TOOL = "Tool '{name}' is not available. You can only use the tools provided to you."
REJECTED = "The user rejected the tool call."
CANCELED = "The tool call was canceled by the user."
MAX_TOOL_OUTPUT = 30_000
TRUNCATED = "\n\n[Output truncated: exceeded 30,000 character limit]"
NO_OUTPUT = "(no output)"
TOOL_ERROR = "Error calling tool: {error}"
MAX_ITERATIONS = "Execution stopped after reaching the configured max_iterations limit ({limit})."


def truncate(output: str) -> str:
    """Tool output as the model gets it: at most 30,000 characters, then cagent's note
    (``limitOutput`` in its ``pkg/tools/builtin/limit.go``).
    """
    if len(output) <= MAX_TOOL_OUTPUT:
        return output
    return output[:MAX_TOOL_OUTPUT] + TRUNCATED


def _entries(agents: Iterable[tuple[str, str]]) -> str:
    return "".join(f"Name: {name} | Description: {description}\n" for name, description in agents)


def multi_agent_prompt(agents: list[tuple[str, str]]) -> str:
    """The system message of an agent with ``sub_agents``."""
    names = ", ".join(name for name, _ in agents)
    return (
        "You are a multi-agent system, make sure to answer the user query in the most helpful "
        "way possible. You have access to these sub-agents:\n"
        f"{_entries(agents)}\n"
        "IMPORTANT: You can ONLY transfer tasks to the agents listed above using their ID. The "
        f"valid agent names are: {names}. You MUST NOT attempt to transfer to any other agent "
        "IDs - doing so will cause system errors.\n\n"
        "If you are the best to answer the question according to your description, you can "
        "answer it.\n\n"
        "If another agent is better for answering the question according to its description, "
        "call `transfer_task` function to transfer the question to that agent using the agent's "
        "ID. When transferring, do not generate any text other than the function call.\n\n"
    )


def handoff_prompt(agents: list[tuple[str, str]]) -> str:
    """The system message of an agent with ``handoffs``."""
    names = ", ".join(name for name, _ in agents)
    return (
        "You are part of a multi-agent team. Your goal is to answer the user query in the most "
        "helpful way possible.\n\nAvailable agents in your team:\n"
        f"{_entries(agents)}\n"
        "You can hand off the conversation to any of these agents at any time by using the "
        f"`handoff` function with their ID. The valid agent IDs are: {names}.\n\n"
        "When to hand off:\n"
        "- If another agent's description indicates they are better suited for the current task "
        "or question\n"
        "- If the user explicitly asks for a specific agent\n"
        "- If you need specialized capabilities that another agent provides\n\n"
        "If you are the best agent to handle the current request based on your capabilities, "
        "respond directly. When handing off to another agent, only handoff without talking about "
        "the handoff."
    )


def task_message(task: str, expected_output: str) -> str:
    """The system message that opens a ``transfer_task`` child session."""
    text = (
        "You are a member of a team of agents. Your goal is to complete the following task:"
        f"\n\n<task>\n{task}\n</task>"
    )
    if expected_output:
        text += f"\n\n<expected_output>\n{expected_output}\n</expected_output>"
    return text


def handoff_result(previous: str) -> str:
    """The tool result an agent receives when the conversation is handed to it."""
    return (
        f"The agent {previous} handed off the conversation to you. Your available handoff "
        "agents and tools are specified in the system messages that follow. Only use those "
        "capabilities - do not attempt to use tools or hand off to agents that you see in the "
        "conversation history from previous agents, as those were available to different agents "
        "with different capabilities. Look at the conversation history for context, but only use "
        "the handoff agents and tools that are listed in your system messages below. Complete "
        "your part of the task and hand off to the next appropriate agent in your workflow (if "
        "any are available to you), or respond directly to the user if you are the final agent."
    )


def not_in_list(current: str, target: str, what: str, names: list[str]) -> str:
    """The error result for a transfer or handoff to an agent the caller may not use."""
    action = "transfer task to" if what == "sub-agents" else "hand off to"
    tail = (
        f"Available agent IDs are: {', '.join(names)}"
        if names
        else "No agents are configured in this list."
    )
    return f"Agent {current} cannot {action} {target}: target agent not in {what} list. {tail}"


def today(now: datetime) -> str:
    """The ``add_date`` system message."""
    return f"Today's date: {now.strftime('%Y-%m-%d')}"


def environment_info(working_dir: Path) -> str:
    """The ``add_environment_info`` system message, as cagent words it."""
    try:
        inside = (
            subprocess.run(
                ["git", "rev-parse", "--is-inside-work-tree"],
                cwd=working_dir,
                capture_output=True,
                check=False,
            ).returncode
            == 0
        )
    except OSError:
        inside = False
    system = {"Darwin": "MacOS", "Linux": "Linux"}.get(platform.system(), platform.system().lower())
    machine = {"x86_64": "x64", "AMD64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(
        platform.machine(), platform.machine()
    )
    return (
        "Here is useful information about the environment you are running in:\n\t<env>\n"
        f"\tWorking directory: {working_dir}\n"
        f"\tIs directory a git repo: {'Yes' if inside else 'No'}\n"
        f"\tOperating System: {system}\n"
        f"\tCPU Architecture: {machine}\n\t</env>"
    )
