"""The tool names of each toolset type (for the ``tools:`` include filter)."""

TOOL_NAMES: dict[str, tuple[str, ...]] = {
    "filesystem": (
        "directory_tree",
        "edit_file",
        "list_directory",
        "read_file",
        "read_multiple_files",
        "search_files_content",
        "write_file",
        "create_directory",
        "remove_directory",
    ),
    "shell": ("shell",),
    "think": ("think",),
    "todo": ("create_todo", "create_todos", "update_todos", "list_todos"),
    "memory": ("add_memory", "get_memories", "delete_memory", "search_memories", "update_memory"),
    "fetch": ("fetch",),
    "user_prompt": ("user_prompt",),
    "model_picker": ("change_model", "revert_model"),
}
