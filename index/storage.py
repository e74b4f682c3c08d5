"""How a published generation is read: Whoosh files served from the page cache (read or mmap), malloc arenas."""

from __future__ import annotations

import ctypes
import mmap
from pathlib import Path
from typing import Any

from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile

INDEX_MMAP = False  # read index files through file handles (page cache, not RSS); True maps them, see open_index
MALLOC_ARENAS = 2  # glibc malloc arenas per process once a SearchService exists (0: leave the default)
_M_ARENA_MAX = -8  # glibc's mallopt parameter number


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas for this process; True when applied.

    By default glibc gives each thread that allocates its own arena (up to 8 per core), and each keeps
    the freed per-query numpy arrays (~1 MiB each at 100k documents) for reuse: with 50 concurrent
    clients on a 40-thread pool a worker held ~110 MiB more than one serving them in turn. Two arenas
    keep that to ~15 MiB; searches hold the generation lock anyway, so threads hardly contend for them.
    Process-wide and idempotent; a no-op where there is no glibc (or ``arenas`` is 0).
    """
    if arenas <= 0:
        return False
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_ARENA_MAX, int(arenas)))


class _MappedFile(StructFile):  # type: ignore[misc]  # Whoosh is untyped
    """A read-only Whoosh file over a slice of an mmap, without copying it.

    Whoosh's own mmap path wraps every sub-file of a compound segment in ``BytesIO(memoryview)``, which
    copies the whole segment (postings, columns, term index: ~350 MiB at 100k documents) into each
    worker's private memory. Here reads slice the mapping: the pages stay shared, reclaimable page cache.
    """

    def __init__(self, buf: memoryview, name: str | None = None, mapping: mmap.mmap | None = None) -> None:
        super().__init__(self, name=name)  # StructFile's read/seek/tell delegate to self.file: this object
        self._buf = buf
        self._pos = 0
        self._mapping = mapping  # set on the top-level file only: it closes the mapping
        self.is_real = False
        self.is_closed: bool = False

    # -- the file protocol StructFile and pickle use --------------------------------
    def read(self, n: int | None = -1) -> bytes:
        start = self._pos
        end = len(self._buf) if n is None or n < 0 else min(len(self._buf), start + n)
        self._pos = max(start, end)
        return self._buf[start:end].tobytes()

    def readline(self, limit: int | None = -1) -> bytes:
        end = len(self._buf) if limit is None or limit < 0 else min(len(self._buf), self._pos + limit)
        stop = self._pos
        while stop < end:
            chunk = self._buf[stop:min(end, stop + 4096)].tobytes()
            nl = chunk.find(b"\n")
            if nl >= 0:
                stop += nl + 1
                break
            stop += len(chunk)
        out = self._buf[self._pos:stop].tobytes()
        self._pos = stop
        return out

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence == 1:
            offset += self._pos
        elif whence == 2:
            offset += len(self._buf)
        self._pos = max(0, offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def write(self, *args: Any, **kwargs: Any) -> None:
        raise OSError("the index is opened read-only")

    def flush(self) -> None:
        return None

    # -- StructFile's random access, straight from the mapping ---------------------
    def get(self, position: int, length: int) -> bytes:
        return self._buf[position:position + length].tobytes()

    def subset(self, offset: int, length: int, name: str | None = None) -> _MappedFile:
        return _MappedFile(self._buf[offset:offset + length], name=name or self._name)

    def close(self) -> None:
        if self.is_closed:
            return
        self.is_closed = True
        buf, self._buf = self._buf, memoryview(b"")
        buf.release()
        if self._mapping is not None:
            try:
                self._mapping.close()
            except BufferError:  # sub-files still open (a reader not yet collected): unmapped with them
                pass
            self._mapping = None


class _ServingStorage(FileStorage):  # type: ignore[misc]  # Whoosh is untyped
    """Whoosh storage for serving: files are mapped read-only and read without private copies."""

    def __init__(self, path: str) -> None:
        # supports_mmap=False makes CompoundStorage call our file's subset() instead of copying sub-files.
        super().__init__(path, supports_mmap=False, readonly=True)

    def open_file(self, name: str, **kwargs: Any) -> StructFile:
        with open(self._fpath(name), "rb") as fh:
            try:
                mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            except ValueError:  # an empty file cannot be mapped
                return StructFile(open(self._fpath(name), "rb"), name=name, **kwargs)
        return _MappedFile(memoryview(mapped), name=name, mapping=mapped)


def open_index(path: Path, use_mmap: bool = True) -> Any:
    """Open a published generation for searching: shared mmap without private copies, or plain reads."""
    if use_mmap:
        return _ServingStorage(str(path)).open_index()
    return FileStorage(str(path), supports_mmap=False, readonly=True).open_index()

