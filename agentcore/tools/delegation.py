"""The two tools the runtime answers itself, worded as cagent words them: ``transfer_task``
(an agent hands a task to one of its ``sub_agents``, which runs it in a child session) and
``handoff`` (an agent moves the conversation to one of its ``handoffs`` for good).
"""

from __future__ import annotations

from agentcore.messages import ToolDefinition
from agentcore.tools.base import object_schema

__all__ = ["HANDOFF", "TRANSFER_TASK"]

TRANSFER_TASK = ToolDefinition(
    "transfer_task",
    "Use this function to transfer a task to the selected team member. You must provide a "
    "clear and concise description of the task the member should achieve AND the expected "
    "output.",
    object_schema(
        {
            "agent": {
                "description": "The name of the agent to transfer the task to.",
                "type": "string",
            },
            "expected_output": {
                "description": "The expected output from the member (optional).",
                "type": "string",
            },
            "task": {
                "description": "A clear and concise description of the task the member "
                "should achieve.",
                "type": "string",
            },
        },
        ["agent", "expected_output", "task"],
    ),
    read_only=True,
)
HANDOFF = ToolDefinition(
    "handoff",
    "Use this function to hand off the conversation to the selected agent.",
    object_schema(
        {
            "agent": {
                "description": "The name of the agent to hand off the conversation to.",
                "type": "string",
            }
        },
        ["agent"],
    ),
    read_only=True,
)
