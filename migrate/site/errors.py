"""What can go wrong with the site folder, said in one line that names the path and the reason."""

from __future__ import annotations

import errno
from pathlib import Path

# errno → what the user reads; the rest fall back to the system's words
_REASONS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENAMETOOLONG: "file name too long",
    errno.ELOOP: "a symbolic link loop",
    errno.EISDIR: "a folder is in the way of a file",
    errno.ENOTDIR: "a file is in the way of a folder",
    errno.EEXIST: "something else is already there",
}
# when the next run can finish the site once the cause is gone
_TRANSIENT = {errno.ENOSPC, errno.EDQUOT}


class SiteError(Exception):
    """The site folder cannot be read or written as planned; the message names the path."""

    @classmethod
    def from_os(
        cls,
        path: Path | str,
        err: OSError,
        doing: str = "cannot write",
        then: str = "what was written is recorded: free some space and run the same command again",
    ) -> SiteError:
        """`then`: what to do when the cause passes (a full disk)."""
        reason = _REASONS.get(err.errno or 0) or (err.strerror or str(err)).lower()
        message = f"{path}: {doing}: {reason}"  # the planned file, not the temporary one beside it
        if err.errno in _TRANSIENT:
            message += "; " + then
        error = cls(message)
        error.errno = err.errno
        return error

    errno: int | None = None


class SiteBusy(SiteError):
    """Another run of wp2zola holds the site's lock."""
