from kuajing.errors import KuajingError


class BackupError(KuajingError):
    """A backup or a restore that did not happen; nothing was written. `exit_code` is the
    command's: 2 when the file given cannot be used, 1 when the work was refused or failed."""

    code = "backup_failed"
    exit_code = 1


class UnusableFile(BackupError):
    code = "backup_file_unusable"
    exit_code = 2


class DatabaseNotEmpty(BackupError):
    status = 409
    code = "database_not_empty"


class ToolMissing(BackupError):
    code = "tool_missing"
